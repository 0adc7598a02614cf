"""How pages show numbers, money, times and the programme's codes, in the reader's language."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from babel.numbers import format_currency, format_decimal
from flask import Flask, g, request
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from jinja2 import pass_context

from market import db, i18n, labels
from market.notifications import services as notifications
from market.web.session import web_user


def money(value) -> str:
    """CNY with two decimals and the locale's digit grouping (¥83,456.00)."""
    if value is None:
        return "—"
    return format_currency(Decimal(value), "CNY", locale=get_locale(), format_type="standard",
                           currency_digits=False, decimal_quantization=True).replace("CN¥", "¥")


def label(code, kind: str) -> str:
    """What `code` of `kind` is called, in the reader's language (a draft's missing value as —)."""
    return "—" if code is None else labels.label(code, kind, get_locale().language)


def money4(value) -> str:
    """A unit price: CNY with up to four decimals (at least two)."""
    if value is None:
        return "—"
    return format_currency(Decimal(value), "CNY", format="¤#,##0.00##", locale=get_locale(),
                           currency_digits=False).replace("CN¥", "¥")


def show_value(value, field: str) -> str:
    """A profile value as people read it (a clearance by name, a list joined, yes or no)."""
    if value is None:
        return "—"
    if field in ("clearance", "data_classification"):
        return label(value, "classification")
    if field in ("bidding_closes_at", "delivery_deadline") and isinstance(value, str):
        try:
            return when(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    if field == "budget_ceiling":
        return money(value)
    if isinstance(value, bool):
        return label(value, "yes_no")
    if field in ("certifications", "required_certifications") and isinstance(value, list | tuple):
        value = [label(name, "certification") for name in value]
    if isinstance(value, list | tuple):
        return ("、" if get_locale().language == "zh" else ", ").join(map(str, value)) or "—"
    return number(value) if isinstance(value, int) else str(value)


def job_counts(counts: dict) -> str:
    """What a job run counted, each count by its name in the reader's language (a model's metrics
    by their technical names), as a list of the page's language; "" for none."""
    named = labels.LABELS["job_count"]
    return show_value([
        f"{label(key, 'job_count') if key in named else key} "
        f"{number(value) if isinstance(value, int) and not isinstance(value, bool) else value}"
        for key, value in counts.items()], "counts") if counts else ""


def number(value) -> str:
    return "—" if value is None else format_decimal(value, locale=get_locale())


def when(value: dt.datetime | None) -> str:
    """A moment in the programme's time zone (Asia/Shanghai)."""
    return "—" if value is None else format_datetime(value, "medium")


def day(value: dt.datetime | dt.date | None) -> str:
    return "—" if value is None else format_date(value, "long")


def message(text: str) -> str:
    """A field or domain message in the reader's language."""
    return i18n.translate_message(get_locale().language, str(text))


def _at_render(filter_):
    """`filter_` evaluated when the page renders. Jinja folds a filter applied to literals
    (`"seats"|label("profile_field")`) into the compiled template, in the language of the first
    page that compiled it, for every later reader; a filter that takes the context is not folded."""

    @pass_context
    def rendered(_context, *args, **kwargs):
        return filter_(*args, **kwargs)

    return rendered


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update({
        name: _at_render(f) for name, f in dict(
            money=money, money4=money4, number=number, when=when, day=day, label=label,
            show_value=show_value, message=message, job_counts=job_counts).items()
    })
    app.jinja_env.globals.update(_=_)

    @app.context_processor
    def _page_context():
        locale = get_locale()
        user = web_user()
        return {
            "unread": notifications.unread_count(db.session, actor=user)
            if user and not g.get("database_unavailable") else 0,
            "lang": "zh-CN" if locale.language == "zh" else "en",
            "lang_code": "zh" if locale.language == "zh" else "en",
            # Between a name and its value: Chinese takes the full-width colon.
            "colon": "：" if locale.language == "zh" else ": ",
            "user": user,
            "here": request.full_path.rstrip("?"),
        }
