"""Errors as pages, in the layout and the reader's language (the API keeps its JSON shape)."""

from __future__ import annotations

from flask import Flask, g, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import default_exceptions

from market import i18n

TITLES = {
    400: _l("The request could not be read"),
    401: _l("Please sign in"),
    403: _l("You may not do this"),
    404: _l("Page not found"),
    405: _l("This page cannot be used that way"),
    409: _l("This cannot be done now"),
    413: _l("What you sent is too large"),
    415: _l("What you sent is not in a form this page reads"),
    422: _l("Some fields need attention"),
    429: _l("Too many attempts"),
    500: _l("Something went wrong on our side"),
    503: _l("The service is busy"),
}


# Werkzeug's own descriptions of an error are English: a page says them again in its language.
DESCRIPTIONS = {
    400: _l("The request could not be read. Go back, reload the page and try again."),
    403: _l("Your account may not open this page or do this."),
    404: _l("There is no page at this address. Check it, or start again from the home page."),
    405: _l("This page cannot be used that way; go back and use its links and buttons."),
    413: _l("What you sent is larger than this service takes. Send less at a time."),
    415: _l("What you sent is not in a form this page reads."),
    429: _l("Too many attempts in a short time. Wait a little, then try again."),
    500: _l("An unexpected error occurred on our side; it has been logged. Try again later."),
}


def _werkzeugs(code: int, message) -> bool:
    default = default_exceptions.get(code)
    return isinstance(message, str) and default is not None and message in (default.description, default.name)


def error_page(code: int, status: str, message, errors: dict):
    """The error as a page; `message` is a text or a domain error's `said` (see market.errors)."""
    if code == 503:
        g.database_unavailable = True  # the layout must not ask the database for the header again
    title = TITLES.get(code, status)
    language = get_locale().language
    if _werkzeugs(code, message) and code in DESCRIPTIONS:
        text = str(DESCRIPTIONS[code])
    else:
        text = message(language) if callable(message) else i18n.translate_message(language, message)
    # Bad input lists its fields' messages; a conflict's fields hold codes for programs, not people.
    html = render_template("error.html", code=code, title=title, message=text,
                           errors=errors if code in (400, 422) else {})
    return make_response(html, code)


def _csrf_failed(error: CSRFError):
    message = _("This form has expired or did not come from this site. Go back, reload the page "
                "and send it again.")
    html = render_template("error.html", code=400, title=_("The form has expired"), message=message,
                           errors={}, back=request.referrer)
    return make_response(html, 400)


def init_app(app: Flask) -> None:
    app.extensions["market.error_page"] = error_page
    app.register_error_handler(CSRFError, _csrf_failed)
