"""The cast: the operator and its staff, the agencies, the annotation firms with their capabilities.

Everyone registers through the services, dated when they joined: create_organization and
create_user by the administrator; a firm declares its capabilities on joining
(replace_capabilities as the firm); a coordinator assesses them by a trial and verifies the firm
(replace_capabilities and set_vendor_status as the coordinator); one firm was suspended since.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from market.accounts import services as accounts
from market.accounts.models import User
from market.demo.catalogue import (
    AGENCIES,
    DIVISIONS,
    OPERATOR,
    PROFILES,
    REGISTRAR_COMPANY,
    REGISTRAR_GOVERNMENT,
    SKILLS,
    VENDORS,
    VERIFICATION_REASON,
    AgencySpec,
    VendorSpec,
)
from market.demo.context import DEMO_DOMAIN, DEMO_PASSWORD, Demo, unit_price
from market.organizations import services as organizations
from market.organizations.credit_code import ALPHABET, make_credit_code
from market.organizations.models import Capability, Organization


@dataclass
class Vendor:
    spec: VendorSpec
    org: Organization
    user: User
    capabilities: dict[tuple[str, str], Capability]

    @property
    def seats(self) -> int:
        return self.spec.seats

    @property
    def verified(self) -> bool:
        return self.org.vendor_profile.verification_status == "verified"


@dataclass
class Agency:
    spec: AgencySpec
    org: Organization
    user: User


@dataclass
class Cast:
    operator: Organization
    admin: User
    coordinator: User
    agencies: dict[str, Agency] = field(default_factory=dict)
    vendors: list[Vendor] = field(default_factory=list)
    # (role, e-mail, organisation) of the logins the command line prints
    logins: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def main_vendor(self) -> Vendor:
        """The demo's vendor login (vendor@demo.market.cn)."""
        return next(v for v in self.vendors if v.spec.slug == "vendor")

    def vendor(self, org_id: int) -> Vendor:
        return next(v for v in self.vendors if v.org.id == org_id)


def seed_cast(demo: Demo) -> Cast:
    codes = _CreditCodes(demo)
    cast = _operator(demo, codes)
    _agencies(demo, cast, codes)
    _vendors(demo, cast, codes)
    cast.logins.append(("vendor", f"<firm>@{DEMO_DOMAIN}", "any other firm, e.g. "
                        f"xiaolanshan@{DEMO_DOMAIN} (verified), wuling@{DEMO_DOMAIN} (pending), "
                        f"fuquan@{DEMO_DOMAIN} (suspended)"))
    return cast


class _CreditCodes:
    """Valid, unique unified social credit codes naming each organisation's registrar and region."""

    def __init__(self, demo: Demo) -> None:
        self.rng = demo.rng
        self.issued: set[str] = set()

    def issue(self, registrar: str, division: str) -> str:
        rng = self.rng
        while True:
            if registrar == REGISTRAR_COMPANY:
                # Codes issued since 2015 carry "MA" and seven characters in the organisation part.
                body = "MA" + "".join(rng.choice(ALPHABET) for _ in range(7))
            else:
                body = "".join(rng.choice("0123456789") for _ in range(8)) + rng.choice("0123456789X")
                body = body.replace("X", "1")
            code = make_credit_code(registrar + division + body)
            if code not in self.issued:
                self.issued.add(code)
                return code


def _organization(demo: Demo, codes: _CreditCodes, *, kind: str, name: str, registrar: str, division: str,
                  province: str, city: str, county: str | None, description: str, contact: str, sectors=(),
                  profile: dict | None = None, actor, at: dt.datetime) -> Organization:
    data = {"kind": kind, "name": name, "credit_code": codes.issue(registrar, division),
            "province": province, "city": city, "county": county, "contact_email": contact,
            "description": description or None, "sectors": list(sectors)}
    if profile is not None:
        data["vendor_profile"] = profile
    return organizations.create_organization(demo.session, data, actor=actor, now=at)


def _user(demo: Demo, org: Organization, *, email: str, name: str, role: str, actor, at: dt.datetime) -> User:
    # scrypt makes this the slowest step of seeding (~0.1 s a user); a hash made here instead
    # would be a second copy of how passwords are stored.
    data = {"email": email, "name": name, "password": DEMO_PASSWORD, "role": role,
            "organization_id": org.id, "locale": "zh"}
    return accounts.create_user(demo.session, data, actor=actor, now=at)


def _operator(demo: Demo, codes: _CreditCodes) -> Cast:
    at = demo.start
    operator = _organization(
        demo, codes, kind="operator", name=OPERATOR.name, registrar=REGISTRAR_GOVERNMENT, division="520000",
        province=OPERATOR.province, city=OPERATOR.city, county=OPERATOR.county,
        description=OPERATOR.description, contact=f"platform@{DEMO_DOMAIN}", actor=None, at=at,
    )
    # The first administrator is made from the command line (no actor); the rest by them.
    admin = _user(demo, operator, email=f"admin@{DEMO_DOMAIN}", name="平台管理员", role="admin", actor=None, at=at)
    coordinator = _user(demo, operator, email=f"coordinator@{DEMO_DOMAIN}", name="周敏", role="coordinator",
                        actor=admin, at=at)
    cast = Cast(operator=operator, admin=admin, coordinator=coordinator)
    cast.logins += [("admin", admin.email, operator.name), ("coordinator", coordinator.email, operator.name)]
    return cast


def _agencies(demo: Demo, cast: Cast, codes: _CreditCodes) -> None:
    for i, spec in enumerate(AGENCIES):
        at = demo.start + dt.timedelta(days=2 + i)
        org = _organization(
            demo, codes, kind="agency", name=spec.name, registrar=spec.registrar, division=spec.division,
            province=spec.province, city=spec.city, county=spec.county, description=spec.description,
            sectors=spec.sectors, contact=spec.email, actor=cast.admin, at=at,
        )
        user = _user(demo, org, email=spec.email, name=spec.user_name, role="agency", actor=cast.admin, at=at)
        cast.agencies[spec.key] = Agency(spec, org, user)
        cast.logins.append(("agency", spec.email, spec.name))


def _vendors(demo: Demo, cast: Cast, codes: _CreditCodes) -> None:
    rng = demo.rng
    for i, spec in enumerate(VENDORS):
        # Firms joined over the programme's first months; the pending ones only recently.
        at = demo.ago(rng.uniform(5, 40)) if spec.status == "pending" else demo.start + dt.timedelta(
            days=10 + 4 * i + rng.uniform(0, 3))
        profile = {
            "seats": spec.seats, "headcount": int(spec.seats * rng.uniform(1.05, 1.3)) + 3,
            "certifications": list(spec.certifications), "clearance": spec.clearance,
            "onsite_possible": spec.onsite, "sme": spec.sme,
        }
        email = f"{spec.slug}@{DEMO_DOMAIN}"
        org = _organization(
            demo, codes, kind="vendor", name=spec.name, registrar=REGISTRAR_COMPANY,
            division=DIVISIONS[(spec.province, spec.city, spec.county)], province=spec.province,
            city=spec.city, county=spec.county, description=spec.description, contact=email,
            profile=profile, actor=cast.admin, at=at,
        )
        user = _user(demo, org, email=email, name=spec.user_name, role="vendor", actor=cast.admin, at=at)
        verified_at = at + dt.timedelta(days=rng.uniform(2, 10))
        capabilities = _capabilities(demo, cast, spec, org, user, joined=at, assessed_at=verified_at)
        if spec.status in ("verified", "suspended"):
            organizations.set_vendor_status(demo.session, org.id, "verified", actor=cast.coordinator,
                                            reason=VERIFICATION_REASON, now=verified_at)
        if spec.status == "suspended":
            organizations.set_vendor_status(demo.session, org.id, "suspended", actor=cast.coordinator,
                                            reason=spec.status_reason, now=demo.ago(rng.uniform(20, 40)))
        cast.vendors.append(Vendor(spec, org, user, capabilities))
        if spec.slug == "vendor":
            cast.logins.append(("vendor", email, spec.name))


def _capabilities(demo: Demo, cast: Cast, spec: VendorSpec, org: Organization, user: User, *,
                  joined: dt.datetime, assessed_at: dt.datetime) -> dict[tuple[str, str], Capability]:
    """The firm declares what it does when it joins; a coordinator assesses it by a trial before verifying."""
    rng = demo.rng
    keys: list[tuple[str, str]] = []
    for name in spec.profiles:
        keys += [key for key in PROFILES[name] if key not in keys]
    speed = rng.uniform(0.85, 1.15)  # some firms are simply faster
    declared, assessed = [], []
    for key in keys:
        skill = SKILLS[key]
        lo, hi = skill.throughput
        proficiency = None
        if spec.status != "pending":
            proficiency = round(min(0.97, max(0.4, rng.gauss(spec.quality, 0.05))), 2)
        item = {"modality": key[0], "annotation_type": key[1],
                "throughput_per_seat_day": float(round(rng.uniform(lo, hi) * speed)),
                "unit_price": unit_price(rng.uniform(*skill.price))}
        declared.append({**item, "evidence": "企业自述能力，待平台组织试标考核。"})
        if proficiency is not None:
            sample = rng.choice((200, 300, 500))
            evidence = f"平台组织试标考核：样本{sample}条，抽检准确率{min(0.995, 0.86 + 0.12 * proficiency):.1%}。"
            assessed.append({**item, "assessed_proficiency": proficiency, "evidence": evidence})
    organizations.replace_capabilities(demo.session, org.id, declared, actor=user, now=joined)
    if assessed:
        organizations.replace_capabilities(demo.session, org.id, assessed, actor=cast.coordinator, now=assessed_at)
        # Flushed: verifying refreshes the profile from the database, which would drop a collection
        # still pending in memory.
        demo.session.flush()
    return {(c.modality, c.annotation_type): c for c in org.vendor_profile.capabilities}
