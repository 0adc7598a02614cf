"""The dashboard's figures, for coordinators and administrators: all of them at once, or one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from market.db import utcnow
from market.errors import InvalidInput
from market.insights import awards, pipeline, supply
from market.insights.figures import MONTH_CHOICES, Figure, Window
from market.labels import LABELS
from market.organizations.region import AREA_CODES
from market.permissions import require_role
from market.settings import settings_of

VIEWER_ROLES = ("coordinator", "admin")
# The figures in the order the page shows them: those of the weeks ahead, then of the months back.
AHEAD = ("weekly", "modality", "area", "skill_gaps")
BACK = ("statuses", "time_to_award", "bids_per_order", "thin_competition", "places", "local_share",
        "concentration", "idle_vendors", "prices", "decisions")
FIGURES = AHEAD + BACK
# What the weekly demand can be split by: a Work attribute each.
WEEKLY_SPLITS = ("sector", "modality", "area")
DEFAULT_VOCABULARY = {"sectors": tuple(LABELS["sector"]), "modalities": tuple(LABELS["modality"])}


def dashboard(session: Session, *, actor, months: int = 12, now: dt.datetime | None = None,
              only: tuple[str, ...] = FIGURES, split: str = "sector",
              vocabulary: Mapping[str, Sequence[str]] = DEFAULT_VOCABULARY) -> dict[str, Figure]:
    """The figures named in `only` (all by default), over the weeks ahead and the last `months`
    months (this one included), keyed by name; the weekly demand split by `split` (one of
    WEEKLY_SPLITS). `vocabulary`: the programme's sectors and
    modalities (the app's VOCABULARY), in the order the figures list them."""
    require_role(actor, *VIEWER_ROLES)
    if months not in MONTH_CHOICES:
        choices = ", ".join(map(str, MONTH_CHOICES))
        raise InvalidInput(f"The period is {choices} months.",
                           errors={"months": [f"Must be one of {choices}."]})
    if split not in WEEKLY_SPLITS:
        raise InvalidInput(f"The weekly demand is split by {', '.join(WEEKLY_SPLITS)}.",
                           errors={"split": [f"Must be one of {', '.join(WEEKLY_SPLITS)}."]})
    unknown = [key for key in only if key not in FIGURES]
    if unknown:
        raise InvalidInput(f"No figure named {unknown[0]}.", errors={"figure": [f"No figure named {unknown[0]}."]})
    settings = settings_of(session)
    window = Window.make(now or utcnow(), settings, months)
    sectors, modalities = tuple(vocabulary["sectors"]), tuple(vocabulary["modalities"])
    figures: dict[str, Figure] = {}
    if any(key in AHEAD for key in only):
        outlook = supply.outlook(session, window, settings)
        codes = {"sector": sectors, "modality": modalities, "area": AREA_CODES}[split]
        ahead = {"weekly": lambda: supply.weekly(outlook, split, codes),
                 "modality": lambda: supply.by_modality(outlook, modalities),
                 "area": lambda: supply.by_area(outlook), "skill_gaps": lambda: supply.skill_gaps(outlook)}
        figures |= {key: ahead[key]() for key in only if key in ahead}
    back = {
        "statuses": lambda: pipeline.statuses(session, window),
        "time_to_award": lambda: pipeline.time_to_award(session, window),
        "bids_per_order": lambda: pipeline.bids_per_order(session, window),
        "thin_competition": lambda: pipeline.thin_competition(session, window),
        "places": lambda: awards.by_place(session, window),
        "local_share": lambda: awards.local_share(session, window, settings),
        "concentration": lambda: awards.concentration(session, window),
        "idle_vendors": lambda: awards.idle_vendors(session, window),
        "prices": lambda: pipeline.prices(session, window, modalities),
        "decisions": lambda: pipeline.decisions(session, window),
    }
    figures |= {key: back[key]() for key in only if key in back}
    return {key: figures[key] for key in only}
