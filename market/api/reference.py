"""The served root and the API reference: what the service is, and Swagger UI with its assets from the app.

Swagger UI's files come from the swagger-ui-bundle package (installed with the app), so the
reference page makes no request outside the app: no CDN.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template_string, request, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/v1/docs/assets/"

_HOME = """<!DOCTYPE html>
<html lang="zh-CN">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>数据标注需求对接平台 market</title></head>
<body>
<main>
<h1>数据标注需求对接平台 <span lang="en">(market)</span></h1>
<p>公共机构在此发布数据标注需求，本地标注企业投标，平台按产能与技能撮合，协调员审核每一项匹配。</p>
<p lang="en">Public agencies publish data-annotation orders here, local annotation firms bid, the matching
engine allocates the work by capacity and skill, and coordinators approve every match.</p>
<ul>
<li><a href="{{ directory }}">公开需求目录 <span lang="en">/ the public demand directory</span></a>
 (<a href="{{ directory_csv }}">CSV</a>)</li>
<li><a href="{{ docs }}">API 参考 <span lang="en">/ API reference</span></a></li>
<li><a href="{{ openapi }}">OpenAPI 文档 <span lang="en">/ the OpenAPI document</span></a></li>
</ul>
</main>
</body>
</html>
"""

assets = Blueprint("api_reference_assets", __name__)


@assets.get(ASSETS_URL + "<path:filename>")
def swagger_asset(filename):
    """Swagger UI's scripts and styles, served by the app."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def _links() -> dict[str, str]:
    return {
        "directory": url_for("directory.list_directory"),
        "directory_csv": url_for("directory.export_directory"),
        "docs": url_for("api-docs.openapi_swagger_ui"),
        "openapi": url_for("api-docs.openapi_json"),
    }


@assets.get("/")
def home():
    """What the service is, with links to the directory, the API reference and the OpenAPI document."""
    links = _links()
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return {
            "service": "market",
            "description": "Data-annotation demand marketplace",
            "links": links,
        }
    return render_template_string(_HOME, **links)


def init_app(app: Flask) -> None:
    app.register_blueprint(assets)
