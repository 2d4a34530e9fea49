"""A situation that went the whole way through the API: qualified identity, intake,
triage to the partner meeting, a decision with two actions, one completed by the CSAPA,
a rupture declared. Shared by the FHIR and OpenAPI tests, which read it back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from tests.integration.test_meetings import awaiting_meeting

QUALIFIED_PERSON = {"birth_name": "DURAND", "birth_first_names": "Paule Marie",
                    "birth_date": "1995-10-02", "sex": "F", "commune_insee": "11069",
                    "identity_status": "qualifiee", "ins": "295109912611193",
                    "used_name": "Martin", "phone": "06 12 34 56 78"}
IN_TEN_DAYS = (date.today() + timedelta(days=10)).isoformat()


@dataclass
class Journey:
    situation_id: int
    person_id: int
    meeting_id: int
    item_id: int
    action_ids: list[int]
    rupture_id: int


def situation_through_a_meeting(client, auth, partnership, person=QUALIFIED_PERSON) -> Journey:
    coordinator = auth.token("alice@dac11.test")
    sid = awaiting_meeting(client, coordinator, person)
    person_id = client.get(f"/api/v1/situations/{sid}",
                           headers=coordinator).get_json()["person_id"]
    consent = client.post(f"/api/v1/persons/{person_id}/consents", json={
        "kind": "consent", "organisation_id": partnership["siao"].id, "method": "oral"},
        headers=coordinator)
    assert consent.status_code == 201, consent.get_json()
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    meeting = client.post("/api/v1/meetings", json={
        "title": "Réunion partenariale", "starts_at": starts,
        "invited_organisation_ids": [partnership["csapa"].id, partnership["siao"].id]},
        headers=coordinator).get_json()
    item = client.post(f"/api/v1/meetings/{meeting['id']}/agenda/build",
                       headers=coordinator).get_json()["items"][0]
    decision = client.post(
        f"/api/v1/meetings/{meeting['id']}/items/{item['id']}/decision", json={
            "decision": "Coordination : CSAPA et SIAO", "notes": "Alcool, logement",
            "next_review_on": IN_TEN_DAYS,
            "actions": [{"title": "Rendez-vous CSAPA", "type": "csapa_appointment",
                         "assignee_organisation_id": partnership["csapa"].id,
                         "due_on": IN_TEN_DAYS},
                        {"title": "Demande SIAO", "type": "siao_request",
                         "assignee_organisation_id": partnership["siao"].id,
                         "due_on": IN_TEN_DAYS}]}, headers=coordinator)
    assert decision.status_code == 200, decision.get_json()
    action_ids = [a["id"] for a in decision.get_json()["actions"]]
    csapa = auth.token("bob@csapa.test")
    for event in ("start", "complete"):
        done = client.post(f"/api/v1/actions/{action_ids[0]}/events/{event}",
                           json={"completion_note": "Vu le 12", "outcome": "as_planned"},
                           headers=csapa)
        assert done.status_code == 200, done.get_json()
    rupture = client.post(f"/api/v1/situations/{sid}/ruptures", json={
        "occurred_on": (date.today() - timedelta(days=2)).isoformat(),
        "type": "admission_refused_too_psychiatric", "cause": "admission_criteria",
        "consequence": "emergency_visit", "organisation_id": partnership["siao"].id,
        "description": "Refus d'admission."}, headers=coordinator)
    assert rupture.status_code == 201, rupture.get_json()
    return Journey(sid, person_id, meeting["id"], item["id"], action_ids,
                   rupture.get_json()["id"])
