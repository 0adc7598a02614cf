"""The public's pages: the programme at a glance, the demand directory and each published order."""

from __future__ import annotations

import functools
from collections.abc import Callable
from urllib.parse import urlencode

from flask import (
    Blueprint,
    current_app,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask_babel import get_locale

from market import db
from market.api import reference
from market.api.fields import PageQuerySchema, paginate
from market.contracts import services as contracts
from market.contracts.schemas import AwardQuerySchema
from market.db import utcnow
from market.orders import freshness
from market.orders import services as orders
from market.orders.schemas import DirectoryPageQuerySchema
from market.organizations import services as organizations
from market.web.forms import load_form
from market.web.session import web_user

bp = Blueprint("public", __name__, template_folder="templates", static_folder="static",
               static_url_path="/assets")

LATEST = 6


def _wants() -> str:
    """What the request asks for: a page, or (a program) JSON."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) or "text/html"


def anonymous_page(view: Callable) -> Callable:
    """A public page the directory's cache keeps (``freshness.public``) for visitors without a
    session: the same bytes for everyone reading it in one language, with an ETag and a
    Cache-Control a proxy can use, until the directory changes. A browser that sends a session
    cookie (signed in, whose name the page shows; with a message waiting; or with a session Flask
    renews on every answer, a Set-Cookie no shared cache may keep) gets the page built for it,
    with no-store."""
    cached = freshness.public(view, variant=lambda: f"{get_locale()}|{_wants()}")

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.cookies.get(current_app.config["SESSION_COOKIE_NAME"]) is not None or session:
            return view(*args, **kwargs)
        response = current_app.make_response(cached(*args, **kwargs))
        response.vary.update(("Accept-Language", "Accept", "Cookie"))
        return response

    return wrapper


@bp.get("/")
@anonymous_page
def home():
    """What the programme is, its figures and the latest orders; a program asking for JSON gets
    the links where the API starts."""
    if _wants() == "application/json":
        return {"service": "market", "description": "Data-annotation demand marketplace",
                "links": reference.links()}
    now = utcnow()
    latest = db.session.scalars(orders.directory_orders(now=now, status="published").limit(LATEST)).all()
    return render_template(
        "home.html",
        figures=orders.public_figures(db.session, now),
        latest=[orders.public_view(order, now) for order in latest],
    )


@bp.get("/favicon.ico", defaults={"name": "favicon.ico"}, endpoint="favicon")
@bp.get("/apple-touch-icon.png", defaults={"name": "apple-touch-icon.png"}, endpoint="touch_icon")
def icon(name: str):
    """The icons browsers ask for at the site's root whatever a page links (a 404 each time else)."""
    return send_from_directory(bp.static_folder, name, max_age=86400)


@bp.get("/directory")
@anonymous_page
def directory():
    """The directory with the API's filters (same schema); the URL holds them, so it can be shared."""
    now = utcnow()
    query, errors = load_form(DirectoryPageQuerySchema(), request.args)
    status = 200
    if errors:
        status, page = 422, None
    else:
        page_no, per_page = query.pop("page"), query.pop("per_page")
        page = paginate(db.session, orders.directory_orders(now=now, **query), page_no, per_page)
        page["items"] = [orders.public_view(order, now) for order in page["items"]]
    filters = {k: v for k, v in request.args.items() if k not in ("page",) and v.strip()}
    csv_filters = {k: v for k, v in filters.items() if k != "per_page"}
    return render_template(
        "directory.html",
        page=page,
        errors=errors,
        form=request.args,
        vocabulary=_vocabulary(),
        statuses=orders.DIRECTORY_STATUSES,
        sorts=orders.DIRECTORY_SORTS,
        page_url=lambda n: url_for("public.directory") + "?" + urlencode({**filters, "page": n}),
        csv_url=url_for("directory.export_directory") + ("?" + urlencode(csv_filters) if csv_filters else ""),
    ), status


@bp.get("/orders/<int:order_id>")
@anonymous_page
def order(order_id: int):
    now = utcnow()
    found = orders.get_public_order(db.session, order_id)
    questions = db.session.scalars(orders.questions_of(found, actor=web_user())).all()
    return render_template(
        "order.html",
        order=orders.directory_entry(found, now, amendments=True),
        questions=[orders.present_question(q, web_user(), found) for q in questions],
    )


def _vocabulary() -> dict:
    return current_app.config["VOCABULARY"]


@bp.get("/vendors")
@anonymous_page
def vendors():
    """The register of verified annotation firms."""
    query, errors = load_form(PageQuerySchema(), request.args)
    page = paginate(db.session, organizations.verified_vendors(), query.get("page", 1), query.get("per_page", 50))
    return render_template("vendors.html", page=page)


@bp.get("/awards")
@anonymous_page
def awards():
    """The register of awards, newest first, with the API's filters."""
    query, errors = load_form(AwardQuerySchema(), request.args)
    page = None
    if not errors:
        page_no, per_page = query.pop("page"), query.pop("per_page")
        page = paginate(db.session, contracts.public_awards(**query), page_no, per_page)
        page["items"] = [contracts.public_award(c) for c in page["items"]]
    filters = {k: v for k, v in request.args.items() if k != "page" and v.strip()}
    return render_template(
        "awards.html", page=page, errors=errors, form=request.args,
        sectors=current_app.config["VOCABULARY"]["sectors"],
        page_url=lambda n: url_for("public.awards") + "?" + urlencode({**filters, "page": n}),
    ), 422 if errors else 200
