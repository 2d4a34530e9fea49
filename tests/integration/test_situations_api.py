"""Situations through the API: the main journey (open, intake in two sittings, triage with
its path, override, events, history), and every refusal."""

import pytest

from tests.integration.test_persons_api import JEAN_PIERRE

COMPLETE_INTAKE = {
    "requester_name": "Dr Anne Pujol", "requester_role": "gp",
    "request_reason": "Alcool et troubles psychotiques, risque d'expulsion, sortie "
                      "d'hospitalisation sans suivi",
    "living_situation": "own_home", "hospitalised": False,
    "domains": ["psychiatric", "addiction", "housing"], "psychiatric_disorder": "diagnosed",
    "substances": ["alcohol"], "housing_status": "threatened",
    "imminent_danger": False, "suicide_risk": "none",
}


def put_intake(client, headers, situation_id, answers, version=None):
    extra = {"If-Match": f'"{version}"'} if version else {}
    return client.put(f"/api/v1/situations/{situation_id}/intake", json=answers,
                      headers={**headers, **extra})


def event(client, headers, situation_id, name, **body):
    return client.post(f"/api/v1/situations/{situation_id}/events/{name}", json=body,
                       headers=headers)


def test_the_main_journey_from_opening_to_the_meeting(client, coordinator, situation):
    sid = situation["id"]
    assert situation["state"] == "draft" and situation["version"] == 1
    assert situation["intake"]["requester_name"] == "Dr Anne Pujol"
    assert "submit_for_triage" not in situation["allowed_events"]
    first = {k: COMPLETE_INTAKE[k] for k in ("requester_name", "requester_role",
                                             "request_reason", "living_situation")}
    saved = put_intake(client, coordinator, sid, first, version=1).get_json()
    assert saved["intake_missing_fields"] == ["hospitalised", "domains", "imminent_danger",
                                              "suicide_risk"]
    saved = put_intake(client, coordinator, sid, COMPLETE_INTAKE, version=saved["version"])
    assert saved.status_code == 200 and saved.get_json()["intake_missing_fields"] == []
    assert "submit_for_triage" in saved.get_json()["allowed_events"]
    submitted = event(client, coordinator, sid, "submit_for_triage").get_json()
    assert submitted["state"] == "to_triage"
    triage = client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    body = triage.get_json()
    assert triage.status_code == 200
    assert body["outcome"] == "meeting" and body["logigramme_version"] == "2026.1"
    assert [step["node"] for step in body["path"]] == [
        "danger", "suicide", "youth", "blocked_discharge", "many_domains", "psy_or_addiction"]
    full = client.get(f"/api/v1/situations/{sid}", headers=coordinator).get_json()
    assert full["state"] == "awaiting_meeting"
    assert [h["event"] for h in full["history"]] == ["open", "submit_for_triage",
                                                     "schedule_meeting"]
    assert full["triage"]["path"] == body["path"]
    decided = event(client, coordinator, sid, "meeting_decision",
                    reason="CMP + CSAPA + demande SIAO").get_json()
    assert decided["state"] == "in_coordination"


def test_an_override_needs_a_reason_and_is_kept_with_the_proposal(client, coordinator,
                                                                 situation):
    sid = situation["id"]
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    refused = client.post(f"/api/v1/situations/{sid}/triage", json={"override": "assessment"},
                          headers=coordinator)
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["details"][
        "fields"]
    done = client.post(f"/api/v1/situations/{sid}/triage",
                       json={"override": "assessment", "reason": "Voir la personne d'abord"},
                       headers=coordinator).get_json()
    assert done["proposed_outcome"] == "meeting" and done["outcome"] == "assessment"
    assert done["state"] == "in_assessment"
    assert done["override_reason"] == "Voir la personne d'abord"


def test_triage_on_an_incomplete_intake_is_422_listing_missing_fields(client, coordinator,
                                                                     situation):
    sid = situation["id"]
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    put_intake(client, coordinator, sid, {**COMPLETE_INTAKE, "domains": []})
    response = client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]["fields"]) == ["domains"]


def test_submitting_an_incomplete_intake_is_409_with_reasons_and_allowed_events(
        client, coordinator, situation):
    response = event(client, coordinator, situation["id"], "submit_for_triage")
    assert response.status_code == 409
    details = response.get_json()["error"]["details"]
    assert details["allowed_events"] == ["close"]
    assert any("Fiche de recueil incomplète" in r for r in details["reasons"])


def test_no_triage_before_the_person_is_informed(client, coordinator):
    person = client.post("/api/v1/persons", json={**JEAN_PIERRE, "birth_name": "Autre"},
                         headers=coordinator).get_json()
    sid = client.post("/api/v1/situations", json={"person_id": person["id"]},
                      headers=coordinator).get_json()["id"]
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    response = event(client, coordinator, sid, "submit_for_triage")
    assert response.status_code == 409
    assert "information de la personne" in response.get_json()["error"]["message"]


def test_an_unknown_event_is_404_and_a_forbidden_one_409(client, coordinator, situation):
    assert event(client, coordinator, situation["id"], "teleport").status_code == 404
    response = event(client, coordinator, situation["id"], "meeting_decision", reason="x")
    assert response.status_code == 409
    assert response.get_json()["error"]["details"]["allowed_events"] == ["close"]


def test_a_stale_version_is_409(client, coordinator, situation):
    sid = situation["id"]
    put_intake(client, coordinator, sid, {"requester_name": "A"}, version=1)
    stale = put_intake(client, coordinator, sid, {"requester_name": "B"}, version=1)
    assert stale.status_code == 409
    assert stale.get_json()["error"]["details"]["current_version"] == 2


def test_bad_intake_answers_are_422_per_field_and_nothing_is_lost(client, coordinator,
                                                                 situation):
    sid = situation["id"]
    put_intake(client, coordinator, sid, {"requester_name": "Dr Pujol"})
    response = put_intake(client, coordinator, sid, {
        "requester_name": "Dr Pujol", "domains": ["astrology"], "hospitalised": "peut-être",
        "unknown_field": 1})
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {
        "domains", "hospitalised", "unknown_field"}
    kept = client.get(f"/api/v1/situations/{sid}", headers=coordinator).get_json()
    # (the requester role said on opening, « médecin généraliste », is already there)
    assert kept["intake"] == {"requester_name": "Dr Pujol", "requester_role": "gp"}


def test_closing_needs_a_known_reason_and_reopening_a_written_one(client, coordinator,
                                                                  situation):
    sid = situation["id"]
    assert event(client, coordinator, sid, "close").status_code == 409
    assert event(client, coordinator, sid, "close", closure_reason="bored").status_code == 409
    closed = event(client, coordinator, sid, "close", closure_reason="declined").get_json()
    assert closed["state"] == "closed" and closed["closure_reason"] == "declined"
    assert event(client, coordinator, sid, "reopen").status_code == 409
    reopened = event(client, coordinator, sid, "reopen", reason="Nouvelle demande du CMP")
    assert reopened.get_json()["state"] == "reopened"


def test_the_intake_schema_is_served_as_json_schema(client, coordinator):
    schema = client.get("/api/v1/intake/schema", headers=coordinator).get_json()
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert "domains" in schema["required"]
    assert schema["properties"]["domains"]["items"]["enum"][0] == "psychiatric"


def test_opening_for_an_unknown_person_is_422(client, coordinator):
    response = client.post("/api/v1/situations", json={"person_id": 999999},
                           headers=coordinator)
    assert response.status_code == 422
    assert "person_id" in response.get_json()["error"]["details"]["fields"]


# --- visibility --------------------------------------------------------------------------------

def test_a_partner_sees_only_situations_shared_with_their_organisation(client, auth, personas,
                                                                       partnership,
                                                                       coordinator, situation):
    sid = situation["id"]
    csapa = auth.token("bob@csapa.test")
    assert client.get(f"/api/v1/situations/{sid}", headers=csapa).status_code == 404
    shared = client.post(f"/api/v1/situations/{sid}/shares",
                         json={"organisation_id": partnership["csapa"].id}, headers=coordinator)
    assert shared.status_code == 201
    assert client.get(f"/api/v1/situations/{sid}", headers=csapa).status_code == 200
    listing = client.get("/api/v1/situations", headers=csapa).get_json()
    assert [s["id"] for s in listing["items"]] == [sid]
    other = auth.token("david@cpts.test")
    assert client.get(f"/api/v1/situations/{sid}", headers=other).status_code == 404
    assert client.get("/api/v1/situations", headers=other).get_json()["total"] == 0


def test_the_siao_needs_the_persons_consent_and_loses_access_when_it_is_revoked(
        client, auth, personas, partnership, coordinator, situation, person_id):
    sid = situation["id"]
    siao_id = partnership["siao"].id
    refused = client.post(f"/api/v1/situations/{sid}/shares", json={"organisation_id": siao_id},
                          headers=coordinator)
    assert refused.status_code == 409 and "consentement" in refused.get_json()["error"][
        "message"]
    consent = client.post(f"/api/v1/persons/{person_id}/consents",
                          json={"kind": "consent", "organisation_id": siao_id},
                          headers=coordinator).get_json()
    assert client.post(f"/api/v1/situations/{sid}/shares", json={"organisation_id": siao_id},
                       headers=coordinator).status_code == 201
    siao = auth.token("chloe@siao.test")
    assert client.get(f"/api/v1/situations/{sid}", headers=siao).status_code == 200
    client.post(f"/api/v1/persons/{person_id}/consents/{consent['id']}/revoke", json={},
                headers=coordinator)
    assert client.get(f"/api/v1/situations/{sid}", headers=siao).status_code == 404


def test_an_opposition_hides_the_situation_from_every_partner(client, auth, partnership,
                                                              coordinator, situation,
                                                              person_id):
    sid = situation["id"]
    client.post(f"/api/v1/situations/{sid}/shares",
                json={"organisation_id": partnership["csapa"].id}, headers=coordinator)
    client.post(f"/api/v1/persons/{person_id}/consents", json={"kind": "opposition"},
                headers=coordinator)
    csapa = auth.token("bob@csapa.test")
    assert client.get(f"/api/v1/situations/{sid}", headers=csapa).status_code == 404
    again = client.post(f"/api/v1/situations/{sid}/shares",
                        json={"organisation_id": partnership["unrelated"].id},
                        headers=coordinator)
    assert again.status_code == 409


@pytest.mark.parametrize("persona", ["manager", "admin"])
def test_managers_and_admins_read_no_situation(client, auth, personas, situation, persona):
    headers = auth.token(personas[persona].email)
    assert client.get(f"/api/v1/situations/{situation['id']}",
                      headers=headers).status_code in (403, 404)


def test_a_past_triage_replays_to_the_same_path_even_after_a_new_version(
        client, coordinator, situation, db_session, personas):
    from coordination.models import Situation
    from coordination.services import logigrammes, situations
    from coordination.services.logigrammes import shipped_document

    sid = situation["id"]
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    body = client.post(f"/api/v1/situations/{sid}/triage", json={},
                       headers=coordinator).get_json()
    newer = shipped_document()
    newer["version"] = "2027.1"
    newer["nodes"]["many_domains"]["test"] = {"count_at_least": 4}
    logigrammes.publish(db_session, personas["admin"], newer)
    record = db_session.get(Situation, sid).triages[-1]
    replayed = situations.replay_triage(db_session, record)
    assert replayed.version == "2026.1" and replayed.outcome.id == body["outcome"]
    assert replayed.path_json() == body["path"]


def test_past_triages_are_listed_and_replayed(client, coordinator, situation):
    sid = situation["id"]
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={"override": "assessment",
                                                          "reason": "voir d'abord"},
                headers=coordinator)
    items = client.get(f"/api/v1/situations/{sid}/triages", headers=coordinator).get_json()[
        "items"]
    assert len(items) == 1 and items[0]["replays_identically"] is True
    assert items[0]["replayed_outcome"] == "meeting" and items[0]["outcome"] == "assessment"


def test_a_second_sitting_never_erases_the_first(client, coordinator, situation):
    sid = situation["id"]
    put_intake(client, coordinator, sid, {"request_reason": "Expulsion"})
    body = put_intake(client, coordinator, sid, {"domains": ["housing"]}).get_json()
    assert body["intake"]["request_reason"] == "Expulsion"
    assert body["intake"]["requester_name"] == "Dr Anne Pujol"
    cleared = put_intake(client, coordinator, sid, {"request_reason": None}).get_json()
    assert "request_reason" not in cleared["intake"] and cleared["intake"]["domains"]


def test_after_reopening_the_situation_must_be_triaged_again(client, coordinator, situation):
    sid = situation["id"]
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    event(client, coordinator, sid, "close", closure_reason="resolved")
    event(client, coordinator, sid, "reopen", reason="rechute")
    event(client, coordinator, sid, "submit_for_triage")
    skipped = event(client, coordinator, sid, "start_coordination")
    assert skipped.status_code == 409 and "logigramme" in skipped.get_json()["error"]["message"]


def test_only_the_events_declared_fields_are_stored(client, coordinator, situation):
    body = event(client, coordinator, situation["id"], "close", closure_reason="declined",
                 note="x" * 20000, nested={"a": 1}).get_json()
    assert body["history"][-1]["fields"] == {"closure_reason": "declined"}


def test_the_transition_and_its_reason_are_in_the_audit_trail(client, coordinator, situation,
                                                              db_session):
    from sqlalchemy import select

    from coordination.models import AuditEvent

    event(client, coordinator, situation["id"], "close", closure_reason="declined")
    entry = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "transition")
                               ).all()[-1]
    assert entry.object_id == str(situation["id"]) and entry.detail.startswith("close: draft")


def test_current_supports_must_be_services_of_the_directory(client, coordinator, situation,
                                                           db_session):
    from directory import reference

    reference.load_communes(db_session, {"11"})
    reference.load_demo_services(db_session)
    csapa = client.get("/api/v1/directory/services?q=csapa+narbonne",
                       headers=coordinator).get_json()["items"][0]["id"]
    bad = put_intake(client, coordinator, situation["id"], {"current_supports": [csapa, 999999]})
    assert bad.status_code == 422
    assert "999999" in bad.get_json()["error"]["details"]["fields"]["current_supports"][0]
    ok = put_intake(client, coordinator, situation["id"], {"current_supports": [csapa]})
    assert ok.status_code == 200 and ok.get_json()["intake"]["current_supports"] == [csapa]


def test_situations_are_found_by_the_persons_name_and_by_person(client, auth, coordinator,
                                                                 situation, person_id):
    def ids(query, headers=coordinator):
        response = client.get(f"/api/v1/situations?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [s["id"] for s in response.get_json()["items"]]

    assert ids("q=lefèvre") == [situation["id"]]
    assert ids("q=JEAN%20lefevre") == [situation["id"]]
    assert ids("q=Durand") == []
    assert ids(f"person_id={person_id}") == [situation["id"]]
    assert client.get("/api/v1/situations?person_id=abc",
                      headers=coordinator).status_code == 422
    # a name search never reaches what the reader may not see
    assert ids("q=lefevre", auth.token("david@cpts.test")) == []
    auth.login("alice@dac11.test")
    page = client.get("/situations/?q=lefevre").get_data(as_text=True)
    assert f"/situations/{situation['id']}" in page and 'value="lefevre"' in page
