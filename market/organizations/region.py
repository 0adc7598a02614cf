"""Where an organisation is: "local" against the programme's home region (for the local preference),
and which of the programme's areas (Guiyang/Gui'an, Tongren, Qiannan, elsewhere) it is in."""

from __future__ import annotations

from sqlalchemy import and_, case
from sqlalchemy.sql.elements import ColumnElement

from market.organizations.models import Organization
from market.settings import Settings

# The programme's areas, as registered (province, city or county names); anywhere else is
# "elsewhere". Gui'an New Area straddles Guiyang and Anshun and is registered either as a city
# or as a county of Guiyang, so both count.
AREA_PROVINCE = "贵州省"
AREAS: dict[str, tuple[str, ...]] = {
    "guiyang": ("贵阳市", "贵安新区"),
    "tongren": ("铜仁市",),
    "qiannan": ("黔南布依族苗族自治州",),
}
ELSEWHERE = "elsewhere"
AREA_CODES = (*AREAS, ELSEWHERE)


def is_local(org: Organization, settings: Settings) -> bool:
    """A vendor is local when registered in the programme's home region (configurable)."""
    if org.province != settings.home_province:
        return False
    return not settings.home_cities or org.city in settings.home_cities


def local_expression(settings: Settings, org=Organization) -> ColumnElement[bool]:
    """`is_local` in SQL, over `org` (Organization or an alias of it)."""
    if settings.home_cities:
        return and_(org.province == settings.home_province, org.city.in_(settings.home_cities))
    return org.province == settings.home_province


def area_of(org: Organization) -> str:
    """The programme area `org` is in (a code of AREA_CODES)."""
    if org.province == AREA_PROVINCE:
        for code, names in AREAS.items():
            if org.city in names or org.county in names:
                return code
    return ELSEWHERE


def area_expression(org=Organization) -> ColumnElement[str]:
    """`area_of` in SQL, over `org` (Organization or an alias of it)."""
    return case(*[(and_(org.province == AREA_PROVINCE, org.city.in_(names) | org.county.in_(names)),
                   code) for code, names in AREAS.items()], else_=ELSEWHERE)
