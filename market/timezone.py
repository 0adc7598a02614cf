"""The programme's time zone: times are stored in UTC and shown, and counted in days, in local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app


def local_zone() -> ZoneInfo:
    """The zone of the running app's programme settings (for presentation: schemas and pages)."""
    return current_app.extensions["market.settings"].zone


def local_date(moment: dt.datetime) -> dt.date:
    """The calendar day `moment` falls on in the programme's time zone."""
    return moment.astimezone(local_zone()).date()


def local_isoformat(moment: dt.datetime) -> str:
    """`moment` in local time as the API writes times, so a message can be compared with a field."""
    return moment.astimezone(local_zone()).isoformat(timespec="seconds")
