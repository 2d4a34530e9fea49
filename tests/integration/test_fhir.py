"""FHIR R4 export of a situation: a Bundle that a FHIR library accepts, the INS only for
a qualified identity, one Task per action, the same readers as the situation page."""

import pytest

from tests.integration.journeys import situation_through_a_meeting
from tests.integration.test_persons_api import JEAN_PIERRE

bundle_model = pytest.importorskip("fhir.resources.R4B.bundle")


@pytest.fixture
def journey(client, auth, partnership, personas):
    return situation_through_a_meeting(client, auth, partnership)


def export(client, headers, situation_id):
    return client.get(f"/api/v1/situations/{situation_id}/fhir", headers=headers)


def resources(body, kind):
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


def full_url(body, kind, key):
    """What a reference to that resource says: the fullUrl of its entry."""
    return next(e["fullUrl"] for e in body["entry"]
                if (e["resource"]["resourceType"], e["resource"]["id"]) == (kind, key))


def test_the_export_is_a_valid_bundle_with_every_part_of_the_situation(client, auth, journey,
                                                                        partnership):
    response = export(client, auth.token("alice@dac11.test"), journey.situation_id)
    assert response.status_code == 200
    assert response.mimetype == "application/fhir+json"
    body = response.get_json()
    bundle_model.Bundle.model_validate(body)  # every resource, every datatype, checked
    kinds = [e["resource"]["resourceType"] for e in body["entry"]]
    assert kinds.count("Patient") == kinds.count("CareTeam") == kinds.count("CarePlan") == 1
    assert len(resources(body, "Task")) == 2
    assert len(resources(body, "Encounter")) == 1
    assert len(resources(body, "DetectedIssue")) == 1
    names = {o["name"] for o in resources(body, "Organization")}
    assert {"DAC 11", "CSAPA de l'Aude", "SIAO 11"} <= names


def test_every_reference_points_inside_the_bundle(client, auth, journey):
    body = export(client, auth.token("alice@dac11.test"), journey.situation_id).get_json()
    present = {e["fullUrl"] for e in body["entry"]}
    assert all(url.startswith("urn:uuid:") for url in present)

    def references(node):
        if isinstance(node, dict):
            if isinstance(node.get("reference"), str):
                yield node["reference"]
            for value in node.values():
                yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    assert set(references(body)) <= present


def test_a_qualified_identity_carries_its_ins(client, auth, journey):
    body = export(client, auth.token("alice@dac11.test"), journey.situation_id).get_json()
    patient = resources(body, "Patient")[0]
    assert patient["identifier"][0]["system"] == "urn:oid:1.2.250.1.213.1.4.8"
    assert patient["identifier"][0]["value"] == "295109912611193"
    assert patient["name"][0] == {"use": "official", "family": "DURAND",
                                  "given": ["Paule", "Marie"]}


def test_an_identity_not_qualified_never_exports_an_ins(client, auth, partnership, personas):
    journey = situation_through_a_meeting(client, auth, partnership, person=JEAN_PIERRE)
    body = export(client, auth.token("alice@dac11.test"), journey.situation_id).get_json()
    assert "identifier" not in resources(body, "Patient")[0]


def test_tasks_follow_the_actions_and_the_meeting_discussion(client, auth, journey):
    body = export(client, auth.token("alice@dac11.test"), journey.situation_id).get_json()
    tasks = {t["id"]: t for t in resources(body, "Task")}
    done = tasks[f"action-{journey.action_ids[0]}"]
    assert done["status"] == "completed" and done["note"] == [{"text": "Vu le 12"}]
    assert done["encounter"] == {
        "reference": full_url(body, "Encounter", f"agenda-item-{journey.item_id}")}
    assert tasks[f"action-{journey.action_ids[1]}"]["status"] == "requested"
    plan = resources(body, "CarePlan")[0]
    assert {a["reference"]["reference"] for a in plan["activity"]} == {
        full_url(body, "Task", key) for key in tasks}
    assert any("Décision : Coordination" in n["text"] for n in plan["note"])
    issue = resources(body, "DetectedIssue")[0]
    assert issue["code"]["coding"][0]["code"] == "admission_refused_too_psychiatric"


def test_the_export_has_the_readers_of_the_situation_page(client, auth, journey):
    # the CSAPA holds a share (its action): it reads; the CPTS does not: 404, as absent
    csapa = export(client, auth.token("bob@csapa.test"), journey.situation_id)
    assert csapa.status_code == 200
    bundle_model.Bundle.model_validate(csapa.get_json())
    assert export(client, auth.token("david@cpts.test"), journey.situation_id
                  ).status_code == 404
    assert export(client, auth.token("emma@dac11.test"), journey.situation_id
                  ).status_code == 403
    assert export(client, {}, journey.situation_id).status_code == 401
    assert export(client, auth.token("alice@dac11.test"), 999999).status_code == 404
