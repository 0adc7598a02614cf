"""Vendor capabilities: the vendor keeps its own list, coordinators assess proficiency."""

from __future__ import annotations

import pytest

from tests.conftest import assert_error
from tests.factories import CapabilityFactory, VendorFactory


def url(org_id: int) -> str:
    return f"/api/v1/vendors/{org_id}/capabilities"


BBOX = {"modality": "image", "annotation_type": "bbox", "throughput_per_seat_day": 900,
        "unit_price": "0.28", "evidence": "2023 年省高速卡口项目 120 万框"}
TRANSCRIPTION = {
    "modality": "audio",
    "annotation_type": "transcription",
    "throughput_per_seat_day": 45.5,
    "unit_price": "3.5",
}


def kinds(body) -> list[tuple[str, str]]:
    return [(c["modality"], c["annotation_type"]) for c in body["capabilities"]]


def test_a_vendor_replaces_its_own_capabilities(api, actors):
    vendor = actors.vendor
    CapabilityFactory(
        vendor=vendor.organization.vendor_profile,
        modality="text",
        annotation_type="ner",
        assessed_proficiency=None,
    )
    response = api.put(url(vendor.organization_id), json={"capabilities": [BBOX, TRANSCRIPTION]},
                       token=actors.token(vendor))
    assert response.status_code == 200, response.text
    assert kinds(response.json()) == [("image", "bbox"), ("audio", "transcription")]
    bbox = response.json()["capabilities"][0]
    assert bbox["unit_price"] == "0.2800"
    assert bbox["throughput_per_seat_day"] == 900
    assert bbox["assessed_proficiency"] is None
    assert bbox["assessed_at"] is None
    listed = api.get(url(vendor.organization_id), token=actors.token(actors.agency)).json()
    assert kinds(listed) == [("image", "bbox"), ("audio", "transcription")]


def test_replacing_keeps_the_coordinators_assessment_of_a_kept_capability(api, actors):
    vendor = actors.vendor
    CapabilityFactory(
        vendor=vendor.organization.vendor_profile,
        modality="image",
        annotation_type="bbox",
        assessed_proficiency=0.9,
    )
    response = api.put(
        url(vendor.organization_id), json={"capabilities": [BBOX]}, token=actors.token(vendor)
    )
    assert response.status_code == 200, response.text
    assert response.json()["capabilities"][0]["assessed_proficiency"] == 0.9


def test_an_empty_list_removes_every_capability(api, actors):
    vendor = actors.vendor
    CapabilityFactory(vendor=vendor.organization.vendor_profile, assessed_proficiency=None)
    response = api.put(
        url(vendor.organization_id), json={"capabilities": []}, token=actors.token(vendor)
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"capabilities": []}


def test_a_vendor_cannot_drop_an_assessed_capability_to_shed_its_rating(api, actors):
    vendor = actors.vendor
    CapabilityFactory(
        vendor=vendor.organization.vendor_profile,
        modality="image",
        annotation_type="bbox",
        assessed_proficiency=0.1,
    )
    for body in ({"capabilities": [TRANSCRIPTION]}, {"capabilities": []}):
        error = assert_error(
            api.put(url(vendor.organization_id), json=body, token=actors.token(vendor)),
            403,
            "capabilities",
        )
        assert "coordinator" in error["message"]
    listed = api.get(url(vendor.organization_id), token=actors.token(vendor)).json()
    assert [c["assessed_proficiency"] for c in listed["capabilities"]] == [0.1]


def test_a_coordinator_may_remove_an_assessed_capability(api, actors):
    vendor = actors.vendor
    CapabilityFactory(
        vendor=vendor.organization.vendor_profile,
        modality="image",
        annotation_type="bbox",
        assessed_proficiency=0.1,
    )
    response = api.put(url(vendor.organization_id), json={"capabilities": [TRANSCRIPTION]},
                       token=actors.token(actors.coordinator))
    assert response.status_code == 200, response.text
    assert kinds(response.json()) == [("audio", "transcription")]


@pytest.mark.parametrize(("held", "proficiency"), [(None, 0.7), (0.8, 0.7), (0.8, None)])
def test_a_vendor_cannot_set_its_assessed_proficiency(api, actors, db_session, held, proficiency):
    from market.organizations.models import Capability

    db_session.add(Capability(vendor_id=actors.vendor.organization_id, modality=BBOX["modality"],
                              annotation_type=BBOX["annotation_type"], throughput_per_seat_day=900,
                              unit_price="0.28", assessed_proficiency=held))
    db_session.flush()
    body = {"capabilities": [dict(BBOX, assessed_proficiency=proficiency)]}
    response = api.put(
        url(actors.vendor.organization_id), json=body, token=actors.token(actors.vendor)
    )
    assert_error(response, 403)


def test_a_put_of_what_a_get_returned_is_accepted(api, actors, db_session):
    from market.organizations.models import Capability

    db_session.add(Capability(vendor_id=actors.vendor.organization_id, modality=BBOX["modality"],
                              annotation_type=BBOX["annotation_type"], throughput_per_seat_day=900,
                              unit_price="0.28", assessed_proficiency=0.8))
    db_session.flush()
    token = actors.token(actors.vendor)
    read = api.get(url(actors.vendor.organization_id), token=token).json()
    again = api.put(url(actors.vendor.organization_id), json=read, token=token)
    assert again.status_code == 200, again.text
    assert again.json() == read
    changed = dict(read["capabilities"][0], id=read["capabilities"][0]["id"] + 1000)
    assert_error(api.put(url(actors.vendor.organization_id), json={"capabilities": [changed]}, token=token),
                 422, "capabilities[0].id")


def test_single_capabilities_are_added_changed_and_removed(api, actors, db_session):
    token = actors.token(actors.vendor)
    base = url(actors.vendor.organization_id)
    added = api.post(base, json=BBOX, token=token)
    assert added.status_code == 201, added.text
    cap_id = added.json()["id"]
    assert_error(api.post(base, json=BBOX, token=token), 409)
    changed = api.put(f"{base}/{cap_id}", json={"unit_price": "0.30"}, token=token)
    assert changed.status_code == 200, changed.text
    assert changed.json()["unit_price"] == "0.3000" and changed.json()["id"] == cap_id
    assert_error(api.put(f"{base}/{cap_id}", json={"modality": "video"}, token=token), 422, "modality")
    assert_error(api.put(f"{base}/999999", json={"unit_price": "0.30"}, token=token), 404)
    assert_error(api.post(base, json=BBOX, token=actors.token(actors.agency)), 403)
    assert api.delete(f"{base}/{cap_id}", token=token).status_code == 204
    assert api.get(base, token=token).json()["capabilities"] == []


def test_a_coordinator_sets_the_assessed_proficiency(api, actors):
    body = {"capabilities": [dict(BBOX, assessed_proficiency=0.85)]}
    response = api.put(
        url(actors.vendor.organization_id), json=body, token=actors.token(actors.coordinator)
    )
    assert response.status_code == 200, response.text
    [cap] = response.json()["capabilities"]
    assert cap["assessed_proficiency"] == 0.85
    assert cap["assessed_at"].endswith("+08:00")


def test_another_vendors_capabilities_are_404_to_change(api, actors):
    other = VendorFactory()
    response = api.put(
        url(other.id), json={"capabilities": [BBOX]}, token=actors.token(actors.vendor)
    )
    assert_error(response, 404)


@pytest.mark.parametrize("role", ["agency", "admin"])
def test_other_roles_cannot_change_capabilities(api, actors, role):
    response = api.put(url(actors.vendor.organization_id), json={"capabilities": [BBOX]},
                       token=actors.token(getattr(actors, role)))
    assert_error(response, 403)


def test_an_agency_has_no_capabilities(api, actors):
    assert_error(
        api.get(url(actors.agency.organization_id), token=actors.token(actors.agency)), 404
    )
    response = api.put(url(actors.agency.organization_id), json={"capabilities": []},
                       token=actors.token(actors.coordinator))
    assert_error(response, 404)


def test_an_unknown_vendor_is_404(api, actors):
    assert_error(api.get(url(999999), token=actors.token(actors.agency)), 404)


def test_capabilities_need_a_login(api, actors):
    assert_error(api.get(url(actors.vendor.organization_id)), 401)
    assert_error(api.put(url(actors.vendor.organization_id), json={"capabilities": [BBOX]}), 401)


def test_the_same_modality_and_type_twice_is_422(api, actors):
    body = {"capabilities": [BBOX, dict(BBOX, unit_price="0.30")]}
    response = api.put(
        url(actors.vendor.organization_id), json=body, token=actors.token(actors.vendor)
    )
    assert_error(response, 422, "capabilities")


@pytest.mark.parametrize("change, field", [
    ({"modality": "smell"}, "modality"),
    ({"annotation_type": "haiku"}, "annotation_type"),
    ({"throughput_per_seat_day": 0}, "throughput_per_seat_day"),
    ({"throughput_per_seat_day": 1e9}, "throughput_per_seat_day"),
    ({"unit_price": "-1"}, "unit_price"),
    ({"unit_price": "NaN"}, "unit_price"),
    ({"assessed_proficiency": 1.5}, "assessed_proficiency"),
    ({"id": 3}, "id"),
])
def test_bad_capabilities_are_422_naming_the_field(api, actors, change, field):
    body = {"capabilities": [dict(BBOX, **change)]}
    response = api.put(
        url(actors.vendor.organization_id), json=body, token=actors.token(actors.coordinator)
    )
    assert_error(response, 422, f"capabilities[0].{field}")


def test_a_missing_capabilities_list_is_422(api, actors):
    response = api.put(
        url(actors.vendor.organization_id), json={}, token=actors.token(actors.vendor)
    )
    assert_error(response, 422, "capabilities")


def test_a_put_of_what_a_get_returned_is_accepted_after_an_assessment(api, actors):
    # The assessment time is stored to the microsecond and shown to the second: sent back, it matches.
    base = url(actors.vendor.organization_id)
    body = {"capabilities": [dict(BBOX, assessed_proficiency=0.85)]}
    assert api.put(base, json=body, token=actors.token(actors.coordinator)).status_code == 200
    token = actors.token(actors.vendor)
    read = api.get(base, token=token).json()
    assert read["capabilities"][0]["assessed_at"]
    again = api.put(base, json={"capabilities": read["capabilities"]}, token=token)
    assert again.status_code == 200, again.text
