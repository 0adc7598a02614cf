"""The API reference: Swagger UI with its assets from the app, and the links the root page gives programs.

Swagger UI's files come from the swagger-ui-bundle package (installed with the app), so the
reference page makes no request outside the app: no CDN.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Flask, send_from_directory, url_for
from swagger_ui_bundle import swagger_ui_path

ASSETS_URL = "/api/v1/docs/assets/"

assets = Blueprint("api_reference_assets", __name__)


@assets.get(ASSETS_URL + "swagger-init.js")
def swagger_init():
    """The page's start-up script, a file of ours: the Content-Security-Policy allows no inline script."""
    return send_from_directory(Path(__file__).parent / "static", "swagger-init.js", max_age=3600)


@assets.get(ASSETS_URL + "<path:filename>")
def swagger_asset(filename):
    """Swagger UI's scripts and styles, served by the app."""
    return send_from_directory(swagger_ui_path, filename, max_age=86400)


def links() -> dict[str, str]:
    """Where anyone starts: the directory (JSON and CSV), the API reference and the OpenAPI document."""
    return {
        "directory": url_for("directory.list_directory"),
        "directory_csv": url_for("directory.export_directory"),
        "docs": url_for("api-docs.openapi_swagger_ui"),
        "openapi": url_for("api-docs.openapi_json"),
    }


def init_app(app: Flask) -> None:
    app.register_blueprint(assets)
