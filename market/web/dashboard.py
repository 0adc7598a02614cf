"""The supply–demand dashboard for coordinators (and administrators): each figure of
market.insights as a chart, the same numbers as a table beside it, and as CSV.

The charts are drawn in the browser by Apache ECharts (installed from npm, served by the app) from
the numbers the page carries in a JSON block; static/dashboard.js does the drawing, so nothing runs
inline and the strict CSP holds. Without JavaScript the tables are the content.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

from babel.numbers import format_decimal
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    render_template,
    request,
    send_from_directory,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from market import db
from market.csvcells import spreadsheet_safe
from market.errors import InvalidInput
from market.i18n import N_
from market.insights import services as insights
from market.insights.figures import MONTH_CHOICES, WEEKS_AHEAD, Figure
from market.labels import LABELS
from market.web.filters import day, label, money, number
from market.web.session import signed_in

bp = Blueprint("dashboard", __name__)
# npm installs echarts into the checkout's node_modules (scripts/bootstrap runs `npm ci`).
ECHARTS_DIST = Path(__file__).resolve().parents[2] / "node_modules" / "echarts" / "dist"
ECHARTS_FILE = "echarts.min.js"


@dataclass(frozen=True)
class Column:
    """How a figure's series is headed, shown and drawn: `fmt` number, seat_days, money, share,
    days, date or ratio; `draw` bar or line (None: table only); `axis` 1 for the right-hand axis."""

    header: str
    fmt: str = "number"
    draw: str | None = "bar"
    stack: str | None = None
    axis: int = 0


@dataclass(frozen=True)
class Chart:
    title: str
    intro: str
    category: tuple[str, ...]  # the header of each part of a category (a city and county: two)
    kinds: tuple[str | None, ...]  # the label vocabulary of each part (None: shown as it is)
    columns: dict[str, Column]
    horizontal: bool = False
    facts: dict[str, tuple[str, str]] = field(default_factory=dict)  # fact: (label, fmt)


SEAT_DAYS = "seat_days"
CHARTS: dict[str, Chart] = {
    "weekly": Chart(
        N_("Demand and free capacity per week"),
        N_("Seat-days needed in each of the next weeks by open orders and by the work left on running "
           "contracts, by sector, modality or area as chosen above, against the seat-days verified "
           "vendors have free."),
        (N_("ISO week"),), (None,),
        {"demand": Column(N_("Demand: %(name)s"), SEAT_DAYS, stack="demand"),
         "demand_total": Column(N_("Demand in all"), SEAT_DAYS, draw=None),
         "capacity": Column(N_("Seat-days of verified vendors"), SEAT_DAYS, draw=None),
         "free": Column(N_("Free seat-days"), SEAT_DAYS, draw="line")}),
    "modality": Chart(
        N_("Demand and free capacity by modality"),
        N_("Seat-days over the next weeks: demand of each modality against the free seat-days of the "
           "verified vendors able to do work of it (a vendor able to do several counts under each)."),
        (N_("Modality"),), ("modality",),
        {"demand": Column(N_("Demand (seat-days)"), SEAT_DAYS),
         "free": Column(N_("Free seat-days"), SEAT_DAYS)}),
    "area": Chart(
        N_("Demand and free capacity by area"),
        N_("Seat-days over the next weeks: demand of the agencies of each area against the free "
           "seat-days of its verified vendors."),
        (N_("Area"),), ("area",),
        {"demand": Column(N_("Demand (seat-days)"), SEAT_DAYS),
         "free": Column(N_("Free seat-days"), SEAT_DAYS)}),
    "skill_gaps": Chart(
        N_("Skill gaps"),
        N_("Each kind of work in demand over the next weeks against the free seat-days of the verified "
           "vendors able to do it. A gap is a kind whose demand exceeds them, or that no verified vendor "
           "offers; the tightest kinds come first."),
        (N_("Modality"), N_("Annotation type")), ("modality", "annotation_type"),
        {"demand": Column(N_("Demand (seat-days)"), SEAT_DAYS, draw=None),
         "free": Column(N_("Free seat-days"), SEAT_DAYS, draw=None),
         "shortfall": Column(N_("Shortfall (seat-days)"), SEAT_DAYS, draw=None),
         "coverage": Column(N_("Free seat-days per seat-day needed"), "ratio"),
         "vendors": Column(N_("Verified vendors able"), draw=None)},
        horizontal=True, facts={"gaps": (N_("Kinds of work with a gap"), "number")}),
    "statuses": Chart(
        N_("Orders by status"),
        N_("Orders published (or drafted) in the period, by their status now."),
        (N_("Status"),), ("status",), {"orders": Column(N_("Orders"))}),
    "time_to_award": Chart(
        N_("Time from publishing to award"),
        N_("Orders awarded in the period, by the days from publishing to award."),
        (N_("Days"),), (None,), {"orders": Column(N_("Orders"))},
        facts={"mean_days": (N_("Mean days from publishing to award"), "days")}),
    "bids_per_order": Chart(
        N_("Bids per order"),
        N_("Orders whose bidding closed in the period, by the number of bids they received."),
        (N_("Bids received"),), (None,), {"orders": Column(N_("Orders"))},
        facts={"mean_bids": (N_("Mean bids per order"), "ratio")}),
    "thin_competition": Chart(
        N_("Orders with a single bid or none eligible"),
        N_("Per month of closing: the orders that closed, those that received a single bid, and those "
           "with no eligible bid (none received, or none that met the hard rules)."),
        (N_("Month"),), (None,),
        {"closed": Column(N_("Orders closed"), draw="line"),
         "single_bid": Column(N_("A single bid")),
         "none_eligible": Column(N_("No eligible bid"))}),
    "places": Chart(
        N_("Awards by vendor city and county"),
        N_("Contracts made in the period, by where the vendor is registered, the largest value first."),
        (N_("City"), N_("County")), (None, None),
        {"contracts": Column(N_("Contracts"), draw=None),
         "volume": Column(N_("Volume (units of each order)"), draw=None),
         "value": Column(N_("Value (CNY)"), "money")},
        horizontal=True),
    "local_share": Chart(
        N_("Local share of awards"),
        N_("Per month: the value of the contracts made, the part that went to local vendors, and its "
           "share."),
        (N_("Month"),), (None,),
        {"value": Column(N_("Value awarded (CNY)"), "money"),
         "local_value": Column(N_("To local vendors (CNY)"), "money"),
         "local_share": Column(N_("Local share"), "share", draw="line", axis=1)}),
    "concentration": Chart(
        N_("Concentration of awards"),
        N_("Each vendor's share of the value awarded in the period. The Herfindahl–Hirschman index "
           "adds up the squared percentage shares: 10,000 is one vendor taking everything, below 1,500 "
           "is unconcentrated, above 2,500 highly concentrated."),
        (N_("Vendor"),), (None,),
        {"value": Column(N_("Value awarded (CNY)"), "money", draw=None),
         "share": Column(N_("Share of the value"), "share")},
        horizontal=True,
        facts={"vendors": (N_("Vendors awarded"), "number"), "top1_share": (N_("Largest vendor's share"), "share"),
               "top3_share": (N_("Three largest vendors' share"), "share"),
               "hhi": (N_("Herfindahl–Hirschman index"), "number")}),
    "idle_vendors": Chart(
        N_("Vendors with no award in 90 days"),
        N_("Verified vendors whose last contract is more than 90 days old, or who never had one: the "
           "days since their last award (or since verification)."),
        (N_("Vendor"),), (None,),
        {"days": Column(N_("Days without an award"), "days"),
         "last_award": Column(N_("Last award"), "date", draw=None)},
        horizontal=True),
    "prices": Chart(
        N_("Prices against budget ceilings"),
        N_("Per modality: awarded and bid unit prices as a share of the order's ceiling per unit (its "
           "budget ceiling over its volume), the mean of each."),
        (N_("Modality"),), ("modality",),
        {"contracts": Column(N_("Contracts"), draw=None),
         "awarded_share": Column(N_("Awarded price / ceiling"), "share"),
         "bids": Column(N_("Bids"), draw=None),
         "bid_share": Column(N_("Bid price / ceiling"), "share")}),
    "decisions": Chart(
        N_("Decisions by reason"),
        N_("The coordinators' decisions on proposed matches in the period, by decision and reason."),
        (N_("Decision"), N_("Reason")), ("allocation_status", None),
        {"decisions": Column(N_("Decisions"))}, horizontal=True),
}
SPLIT_LABELS = {"sector": N_("Sector"), "modality": N_("Modality"), "area": N_("Area")}
AREA_LABELS = {"guiyang": N_("Guiyang / Gui'an"), "tongren": N_("Tongren"), "qiannan": N_("Qiannan"),
               "elsewhere": N_("Elsewhere")}


def _viewer():
    user = signed_in()
    if user.role not in insights.VIEWER_ROLES:
        abort(403)
    return user


def _months() -> int:
    """The period asked for; one the form does not offer (only a hand-made URL has it) is refused."""
    months = request.args.get("months", 12, type=int)
    if months not in MONTH_CHOICES:
        raise InvalidInput(_("Choose one of the periods the form offers: the last 3, 6 or 12 months."))
    return months


def _split() -> str:
    """What the weekly demand is split by (sector unless asked)."""
    split = request.args.get("split", "sector")
    if split not in insights.WEEKLY_SPLITS:
        raise InvalidInput(_("Choose one of the splits the form offers: sector, modality or area."))
    return split


def _figures(only: tuple[str, ...] = insights.FIGURES) -> dict[str, Figure]:
    return insights.dashboard(db.session, actor=_viewer(), months=_months(), only=only, split=_split(),
                              vocabulary=current_app.config["VOCABULARY"])


@bp.get("/coordinator/dashboard")
def dashboard():
    figures = _figures()
    language = get_locale().language
    shown = {key: _shown(key, figure) for key, figure in figures.items()}
    data = {key: _chart_data(CHARTS[key], view) for key, view in shown.items()}
    return render_template("coordinator/insights.html", figures=shown, charts=CHARTS, data=data,
                           months=_months(), month_choices=MONTH_CHOICES, weeks=WEEKS_AHEAD,
                           split=_split(), splits=insights.WEEKLY_SPLITS, split_labels=SPLIT_LABELS,
                           locale="ZH" if language == "zh" else "EN",
                           ahead=insights.AHEAD, back=insights.BACK)


@bp.get("/coordinator/dashboard/<name>.csv")
def figure_csv(name: str):
    if name not in CHARTS:
        abort(404)
    figure = _figures(only=(name,))[name]
    chart = CHARTS[name]
    buffer = io.StringIO()
    buffer.write("\ufeff")  # Excel reads the file as UTF-8 only with the BOM
    writer = csv.writer(buffer)
    parts = len(chart.category)
    writer.writerow([*_category_keys(name, parts), *(_series_key(s) for s in figure.series)])
    for category, *values in figure.rows():
        cells = list(category) if parts > 1 else [category]
        writer.writerow([*map(_cell, cells), *map(_cell, values)])
    response = Response(buffer.getvalue(), mimetype="text/csv")
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="dashboard-{name}.csv"'
    return response


@bp.get("/assets/echarts/" + ECHARTS_FILE)
def echarts():
    """Apache ECharts as npm installed it; 404 when it was not installed (the tables remain)."""
    if not (ECHARTS_DIST / ECHARTS_FILE).is_file():
        abort(404)
    return send_from_directory(ECHARTS_DIST, ECHARTS_FILE, max_age=86400)


def _category_keys(name: str, parts: int) -> list[str]:
    keys = {"weekly": ["week"], "modality": ["modality"], "area": ["area"],
            "skill_gaps": ["modality", "annotation_type"], "statuses": ["status"],
            "time_to_award": ["days"], "bids_per_order": ["bids"], "thin_competition": ["month"],
            "places": ["city", "county"], "local_share": ["month"], "concentration": ["vendor"],
            "idle_vendors": ["vendor"], "prices": ["modality"], "decisions": ["decision", "reason"]}
    return keys[name][:parts]


def _series_key(series) -> str:
    return f"{series.key}_{series.group}" if series.group else series.key


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat()
    # Names and reasons were typed by people: a spreadsheet must show them, not run them.
    return spreadsheet_safe(value) if isinstance(value, str) else str(value)


@dataclass(frozen=True)
class Shown:
    """A figure as the page shows it: each category's label, each column's header and cells."""

    figure: Figure
    category_header: str
    categories: list[str]
    headers: list[str]
    cells: list[list[str]]  # per row
    raw: list[list]  # per column: the numbers to draw
    columns: list[Column]
    facts: list[tuple[str, str]]
    empty: bool


def _shown(key: str, figure: Figure) -> Shown:
    chart = CHARTS[key]
    categories = [_category_label(chart, c) for c in figure.categories]
    columns = [chart.columns[s.key] for s in figure.series]
    headers = [_(column.header, name=_group_label(s.group)) if s.group else _(column.header)
               for column, s in zip(columns, figure.series, strict=True)]
    cells = [[_format(s.values[i], column.fmt) for column, s in zip(columns, figure.series, strict=True)]
             for i in range(len(figure.categories))]
    facts = [(_(text), _format(figure.facts.get(fact), fmt)) for fact, (text, fmt) in chart.facts.items()]
    return Shown(figure, " · ".join(_(part) for part in chart.category), categories, headers, cells,
                 [list(s.values) for s in figure.series], columns, facts, figure.empty)


def _group_label(code: str) -> str:
    """The name of the sector, modality or area a weekly series is for."""
    if code in AREA_LABELS:
        return _(AREA_LABELS[code])
    kind = "sector" if code in LABELS["sector"] else "modality"
    return label(code, kind)


def _category_label(chart: Chart, category) -> str:
    parts = category if isinstance(category, tuple) else (category,)
    named = []
    for part, kind in zip(parts, chart.kinds, strict=True):
        if kind == "area":
            named.append(_(AREA_LABELS[part]))
        elif kind:
            named.append(label(part, kind))
        elif part in ("", None):
            named.append("—")
        else:
            named.append(str(part))
    return " · ".join(named)


def _format(value, fmt: str) -> str:
    if value is None:
        return "—"
    if fmt == "money":
        return money(value)
    if fmt == "share":
        return f"{float(value) * 100:.1f}%"
    if fmt == SEAT_DAYS or fmt == "ratio":
        return format_decimal(value, format="#,##0.0", locale=get_locale())
    if fmt == "days":
        return _("%(days)s days", days=number(value))
    if fmt == "date":
        return day(value)
    return number(value)


def _chart_data(chart: Chart, shown: Shown) -> dict:
    """What static/dashboard.js needs to draw the figure."""
    series = []
    for header, column, values in zip(shown.headers, shown.columns, shown.raw, strict=True):
        if column.draw is None:
            continue
        numbers = [None if v is None else float(v) * (100 if column.fmt == "share" else 1) for v in values]
        series.append({"name": header, "type": column.draw, "stack": column.stack,
                       "axis": column.axis, "data": numbers,
                       "percent": column.fmt == "share"})
    return {"categories": shown.categories, "series": series, "horizontal": chart.horizontal}
