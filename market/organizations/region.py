"""Where a vendor is, against the programme's home region: "local" for the local preference."""

from __future__ import annotations

from market.organizations.models import Organization
from market.settings import Settings


def is_local(org: Organization, settings: Settings) -> bool:
    """A vendor is local when registered in the programme's home region (configurable)."""
    if org.province != settings.home_province:
        return False
    return not settings.home_cities or org.city in settings.home_cities
