"""The organisation services refuse the wrong actor themselves, whichever page or API calls them."""

from __future__ import annotations

import pytest

from market.errors import Forbidden, NotFound
from market.organizations import services
from market.organizations.credit_code import make_credit_code
from tests.factories import VendorFactory


def registration() -> dict:
    return {
        "kind": "agency",
        "name": "铜仁市教育局",
        "credit_code": make_credit_code("11522200MB1234567"),
        "province": "贵州省",
        "city": "铜仁市",
    }


@pytest.mark.parametrize("role", ["agency", "vendor", "coordinator"])
def test_only_administrators_register_organisations(db_session, actors, role):
    with pytest.raises(Forbidden):
        services.create_organization(db_session, registration(), actor=getattr(actors, role))


def test_the_command_line_registers_without_a_user(db_session):
    org = services.create_organization(db_session, registration(), actor=None)
    assert org.id is not None


@pytest.mark.parametrize("role", ["agency", "vendor", "admin"])
@pytest.mark.parametrize("target", ["verified", "suspended"])
def test_only_coordinators_verify_or_suspend_vendors(db_session, actors, role, target):
    vendor = VendorFactory(pending=True)
    with pytest.raises(Forbidden):
        services.set_vendor_status(
            db_session, vendor.id, target, actor=getattr(actors, role), reason="核查"
        )
    assert vendor.vendor_profile.verification_status == "pending"


def test_verifying_an_unknown_organisation_is_not_found(db_session, actors):
    with pytest.raises(NotFound):
        services.set_vendor_status(
            db_session, 999999, "verified", actor=actors.coordinator, reason="资料齐全"
        )
