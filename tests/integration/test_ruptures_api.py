"""Ruptures through the API: declaring moves the situation into `in_rupture`, resolving the
last open one brings it back; partners declare on situations shared with them; every
refusal (404 not visible, 409 workflow, 422 per field); candidates raised once, confirmed
or dismissed."""

from datetime import date, timedelta

import pytest

from coordination.domain.rupture_candidates import CandidateThresholds
from coordination.models import RuptureCandidate, Situation
from coordination.services import ruptures
from tests.integration.test_persons_api import JEAN_PIERRE
from tests.integration.test_situations_api import COMPLETE_INTAKE, event, put_intake

TODAY = date.today()
RUPTURE = {"occurred_on": (TODAY - timedelta(days=3)).isoformat(),
           "type": "admission_refused_too_psychiatric", "cause": "admission_criteria",
           "consequence": "emergency_visit", "description": "Refus CSAPA, critère psy."}


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


def open_situation(client, headers, **person):
    created = client.post("/api/v1/persons", json={**JEAN_PIERRE, **person},
                          headers=headers).get_json()
    client.post(f"/api/v1/persons/{created['id']}/consents",
                json={"kind": "information", "method": "oral"}, headers=headers)
    return client.post("/api/v1/situations", json={"person_id": created["id"]},
                       headers=headers).get_json()["id"]


@pytest.fixture
def active(client, coordinator):
    """A triaged situation waiting for the partners' meeting (an active state)."""
    sid = open_situation(client, coordinator)
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    return sid


def declare(client, headers, sid, **overrides):
    return client.post(f"/api/v1/situations/{sid}/ruptures", json={**RUPTURE, **overrides},
                       headers=headers)


def state(client, headers, sid):
    return client.get(f"/api/v1/situations/{sid}", headers=headers).get_json()["state"]


def test_the_taxonomy_lists_codes_and_french_labels(client, coordinator):
    body = client.get("/api/v1/ruptures/taxonomy", headers=coordinator).get_json()
    assert {"types", "causes", "consequences", "transition_points"} <= set(body)
    assert any(t["code"] == "admission_refused_too_psychiatric" for t in body["types"])
    assert all(t["label"] for t in body["types"])


def test_declaring_a_rupture_moves_the_situation_into_rupture_and_back_when_resolved(
        client, coordinator, active):
    assert state(client, coordinator, active) == "awaiting_meeting"
    response = declare(client, coordinator, active)
    assert response.status_code == 201
    rupture = response.get_json()
    assert rupture["id"] and rupture["type_label"].startswith("Refus ou non-admission")
    assert rupture["situation_state"] == "in_rupture"
    history = client.get(f"/api/v1/situations/{active}", headers=coordinator).get_json()
    assert history["history"][-1]["event"] == "declare_rupture"
    resolved = client.post(f"/api/v1/ruptures/{rupture['id']}/resolve", json={
        "resolved_on": TODAY.isoformat(), "resolution": "Admission en CMP obtenue."},
        headers=coordinator)
    assert resolved.status_code == 200 and resolved.get_json()["resolved_on"] == TODAY.isoformat()
    assert state(client, coordinator, active) == "awaiting_meeting"


def test_a_rupture_keeps_the_commune_where_the_person_lived_when_it_happened(
        client, coordinator, active, db_session):
    from coordination.models import Person, Rupture, Situation

    person = db_session.get(Person, db_session.get(Situation, active).person_id)
    rupture_id = declare(client, coordinator, active).get_json()["id"]
    person.commune_insee = "31555"  # the person moves to Toulouse afterwards
    db_session.commit()
    assert db_session.get(Rupture, rupture_id).commune_insee == "11069"


def test_the_situation_stays_in_rupture_until_every_open_rupture_is_resolved(
        client, coordinator, active):
    first = declare(client, coordinator, active).get_json()
    second = declare(client, coordinator, active, type="lost_contact", cause=None).get_json()
    assert second["situation_state"] == "in_rupture"
    done = {"resolved_on": TODAY.isoformat(), "resolution": "Recontacté."}
    client.post(f"/api/v1/ruptures/{first['id']}/resolve", json=done, headers=coordinator)
    assert state(client, coordinator, active) == "in_rupture"
    client.post(f"/api/v1/ruptures/{second['id']}/resolve", json=done, headers=coordinator)
    assert state(client, coordinator, active) == "awaiting_meeting"
    again = client.post(f"/api/v1/ruptures/{second['id']}/resolve", json=done,
                        headers=coordinator)
    assert again.status_code == 409


def test_a_rupture_declared_already_resolved_changes_no_state(client, coordinator, active):
    response = declare(client, coordinator, active, resolved_on=TODAY.isoformat(),
                       resolution="Relais pris le jour même.")
    assert response.status_code == 201
    assert state(client, coordinator, active) == "awaiting_meeting"


def test_bad_fields_are_422_named_one_by_one(client, coordinator, active):
    response = declare(client, coordinator, active, type="teleportation", cause="bad",
                       occurred_on="hier", service_id=999999, organisation_id=999999)
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert {"type", "cause", "occurred_on", "service_id", "organisation_id"} <= set(fields)
    rupture = declare(client, coordinator, active).get_json()
    before = client.post(f"/api/v1/ruptures/{rupture['id']}/resolve", json={
        "resolved_on": (TODAY - timedelta(days=30)).isoformat(), "resolution": "x"},
        headers=coordinator)
    assert before.status_code == 422
    assert "resolved_on" in before.get_json()["error"]["details"]["fields"]
    missing = client.post(f"/api/v1/ruptures/{rupture['id']}/resolve",
                          json={"resolved_on": TODAY.isoformat()}, headers=coordinator)
    assert "resolution" in missing.get_json()["error"]["details"]["fields"]
    assert state(client, coordinator, active) == "in_rupture"


def test_a_draft_cannot_hold_a_rupture_and_a_stale_version_is_refused(
        client, coordinator, active):
    draft = open_situation(client, coordinator, birth_name="Durand")
    refused = declare(client, coordinator, draft)
    assert refused.status_code == 409 and "brouillon" in refused.get_json()["error"]["message"]
    stale = client.post(f"/api/v1/situations/{active}/ruptures", json=RUPTURE,
                        headers={**coordinator, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert state(client, coordinator, active) == "awaiting_meeting"


def test_partners_declare_on_shared_situations_only(client, auth, coordinator, partnership,
                                                    active):
    csapa = auth.token("bob@csapa.test")
    assert declare(client, csapa, active).status_code == 404
    client.post(f"/api/v1/situations/{active}/shares",
                json={"organisation_id": partnership["csapa"].id}, headers=coordinator)
    response = declare(client, csapa, active)
    assert response.status_code == 201
    rupture_id = response.get_json()["id"]
    unrelated = auth.token("david@cpts.test")
    assert declare(client, unrelated, active).status_code == 404
    assert client.post(f"/api/v1/ruptures/{rupture_id}/resolve", json={
        "resolved_on": TODAY.isoformat(), "resolution": "x"},
        headers=unrelated).status_code == 404
    manager = auth.token("emma@dac11.test")
    assert declare(client, manager, active).status_code == 403
    assert client.get("/api/v1/rupture-candidates", headers=csapa).status_code == 403


# --- candidates ----------------------------------------------------------------------------

def _age(db_session, sid, days):
    """Pretend nothing has happened on the situation for `days` days."""
    from sqlalchemy import update

    from coordination.db import utcnow
    from coordination.models import TransitionRecord

    old = utcnow() - timedelta(days=days)
    db_session.execute(update(TransitionRecord).where(TransitionRecord.situation_id == sid)
                       .values(occurred_at=old))
    row = db_session.get(Situation, sid)
    row.created_at = row.intake_updated_at = old
    db_session.commit()


def test_candidates_are_raised_once_even_when_the_sweep_runs_twice(
        client, coordinator, db_session, active):
    _age(db_session, active, 60)
    first = ruptures.raise_candidates(db_session, TODAY, CandidateThresholds())
    second = ruptures.raise_candidates(db_session, TODAY + timedelta(days=1))
    assert first.created >= 1 and second.created == 0
    keys = [c.key for c in db_session.query(RuptureCandidate)
            .filter(RuptureCandidate.situation_id == active)]
    assert len(keys) == len(set(keys))
    listed = client.get("/api/v1/rupture-candidates", headers=coordinator).get_json()
    stale = [c for c in listed["items"] if c["rule"] == "stale_situation"]
    assert stale and stale[0]["situation_id"] == active
    assert "Aucun événement depuis" in stale[0]["explanation"]


def test_a_dismissed_candidate_needs_a_reason_and_never_comes_back(
        client, coordinator, db_session, active):
    _age(db_session, active, 60)
    ruptures.raise_candidates(db_session, TODAY)
    candidate = client.get("/api/v1/rupture-candidates",
                           headers=coordinator).get_json()["items"][0]
    url = f"/api/v1/rupture-candidates/{candidate['id']}/dismiss"
    refused = client.post(url, json={"reason": "  "}, headers=coordinator)
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["details"][
        "fields"]
    done = client.post(url, json={"reason": "Suivi assuré par le CMP, rien à signaler."},
                       headers=coordinator)
    assert done.status_code == 200 and done.get_json()["status"] == "dismissed"
    assert client.post(url, json={"reason": "encore"}, headers=coordinator).status_code == 409
    assert ruptures.raise_candidates(db_session, TODAY + timedelta(days=10)).created == 0
    assert client.get("/api/v1/rupture-candidates", headers=coordinator).get_json()["total"] == 0


def test_confirming_a_candidate_declares_the_rupture_with_its_suggestion(
        client, coordinator, db_session, active):
    _age(db_session, active, 60)
    ruptures.raise_candidates(db_session, TODAY)
    candidate = client.get("/api/v1/rupture-candidates",
                           headers=coordinator).get_json()["items"][0]
    url = f"/api/v1/rupture-candidates/{candidate['id']}/confirm"
    bad = client.post(url, json={"type": "inconnu"}, headers=coordinator)
    assert bad.status_code == 422 and "type" in bad.get_json()["error"]["details"]["fields"]
    confirmed = client.post(url, json={"cause": "no_referent"}, headers=coordinator)
    assert confirmed.status_code == 201
    rupture = confirmed.get_json()
    assert rupture["type"] == candidate["suggested_type"] and rupture["cause"] == "no_referent"
    assert rupture["occurred_on"] == candidate["occurred_on"]
    assert rupture["situation_state"] == "in_rupture"
    assert client.post(url, json={}, headers=coordinator).status_code == 409
    everything = client.get("/api/v1/rupture-candidates?status=all",
                            headers=coordinator).get_json()["items"]
    assert any(c["status"] == "confirmed" and c["rupture_id"] == rupture["id"]
               for c in everything)


def test_unknown_candidates_are_404_and_bad_status_422(client, coordinator):
    assert client.post("/api/v1/rupture-candidates/999999/dismiss", json={"reason": "x"},
                       headers=coordinator).status_code == 404
    assert client.get("/api/v1/rupture-candidates?status=perdu",
                      headers=coordinator).status_code == 422
