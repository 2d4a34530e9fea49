"""The generated access matrix (issue 9 §2): every route of `app.url_map` × every persona
× an object of their partnership and one of another DAC → the status that
`access_matrix.py` expects. Objects are built through the API, as a coordinator would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from werkzeug.routing import IntegerConverter

from coordination.domain.accounts import OrganisationType, Role
from tests.conftest import Auth, csrf_token
from tests.integration.access_matrix import (
    ENDPOINTS,
    FORBIDDEN,
    HIDDEN,
    LOGIN,
    OK,
    PERSONAS,
    RULES,
)
from tests.integration.test_calls import GP_CALL
from tests.integration.test_ruptures_api import RUPTURE
from tests.integration.test_situations_api import COMPLETE_INTAKE, event, put_intake

IN_TEN_DAYS = (date.today() + timedelta(days=10)).isoformat()
EMAILS = {"coordinator": "alice@dac11.test", "csapa_partner": "bob@csapa.test",
          "siao_partner": "chloe@siao.test", "unrelated_partner": "david@cpts.test",
          "manager": "emma@dac11.test", "admin": "farid@dac11.test"}
# realistic values for the converters that are not object ids
WORDS = {"event": "submit_for_triage", "operation": "build", "insee": "11069",
         "filename": "css/app.css"}
ACTION_EVENT = "complete"


def _build_world(client, headers, person: dict, invite: list[int], partner_id: int,
                 service_id: int) -> dict:
    """One DAC's working set: a call, a person and a situation triaged to its meeting,
    the meeting decision giving the CSAPA an action (which shares the situation), a
    rupture."""
    call = client.post("/api/v1/calls", json={**GP_CALL, "outcome": "orientation",
                                              "service_ids": [service_id]},
                       headers=headers).get_json()
    person_id = client.post("/api/v1/persons", json=person, headers=headers).get_json()["id"]
    consent = client.post(f"/api/v1/persons/{person_id}/consents",
                          json={"kind": "information", "method": "oral"}, headers=headers)
    sid = client.post("/api/v1/situations", json={"person_id": person_id},
                      headers=headers).get_json()["id"]
    put_intake(client, headers, sid, COMPLETE_INTAKE)
    event(client, headers, sid, "submit_for_triage")
    assert client.post(f"/api/v1/situations/{sid}/triage", json={},
                       headers=headers).get_json()["state"] == "awaiting_meeting"
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    meeting = client.post("/api/v1/meetings", json={
        "title": "Réunion partenariale", "starts_at": starts, "agenda_cap": 5,
        "invited_organisation_ids": invite}, headers=headers).get_json()
    items = client.post(f"/api/v1/meetings/{meeting['id']}/agenda/build",
                        headers=headers).get_json()["items"]
    decision = client.post(
        f"/api/v1/meetings/{meeting['id']}/items/{items[0]['id']}/decision", json={
            "decision": "Coordination", "next_review_on": IN_TEN_DAYS,
            "actions": [{"title": "Rendez-vous CSAPA", "type": "csapa_appointment",
                         "assignee_organisation_id": partner_id,
                         "due_on": IN_TEN_DAYS}]}, headers=headers)
    assert decision.status_code == 200, decision.get_json()
    rupture = client.post(f"/api/v1/situations/{sid}/ruptures", json=RUPTURE,
                          headers=headers)
    assert rupture.status_code == 201, rupture.get_json()
    return {"call_id": call["id"], "person_id": person_id, "other_id": person_id,
            "record_id": consent.get_json()["id"], "situation_id": sid,
            "meeting_id": meeting["id"], "item_id": items[0]["id"],
            "action_id": decision.get_json()["actions"][0]["id"],
            "rupture_id": rupture.get_json()["id"]}


@pytest.fixture
def world(client, auth, personas, partnership, make_organisation, make_user, db_session):
    from coordination.services import calls
    from directory import reference
    from directory.models import DirectoryService

    reference.load_communes(db_session, {"11"})
    reference.load_demo_services(db_session)
    service_id = db_session.query(DirectoryService.id).order_by(DirectoryService.id).first()[0]
    other_dac = make_organisation("DAC 34", OrganisationType.DAC)
    other_csapa = make_organisation("CSAPA de l'Hérault", OrganisationType.CSAPA)
    make_user("gaelle@dac34.test", other_dac, Role.COORDINATOR)
    own = _build_world(client, auth.token("alice@dac11.test"),
                       {"birth_name": "LEFEVRE", "birth_first_names": "Jean Pierre",
                        "birth_date": "1971-04-03", "sex": "M", "commune_insee": "11069"},
                       [partnership["csapa"].id, partnership["siao"].id],
                       partnership["csapa"].id, service_id)
    other = _build_world(client, auth.token("gaelle@dac34.test"),
                         {"birth_name": "MARTIN", "birth_first_names": "Sophie",
                          "birth_date": "1984-09-12", "sex": "F", "commune_insee": "11069"},
                         [other_csapa.id], other_csapa.id, service_id)
    common = {"service_id": service_id, "merge_id": 999_999, "task_id": 999_999,
              "candidate_id": 999_999, "code": calls.motives(db_session)[0].code}
    # the coordinator's run unshares the CPTS (shared here for that), never the CSAPA
    shared = client.post(f"/api/v1/situations/{own['situation_id']}/shares",
                         json={"organisation_id": partnership["unrelated"].id},
                         headers=auth.token("alice@dac11.test"))
    assert shared.status_code in (200, 201), shared.get_json()
    own.update(common, user_id=personas["csapa_partner"].id,
               organisation_id=partnership["unrelated"].id)
    other.update(common, user_id=make_user("hugo@dac34.test", other_dac, Role.PARTNER).id,
                 organisation_id=partnership["unrelated"].id)
    return {"own": own, "other": other}


def _requests(app, values: dict):
    """(endpoint, method, path) for every route, logging out last."""
    adapter = app.url_map.bind("localhost")
    found = []
    for rule in app.url_map.iter_rules():
        arguments = {}
        for name in rule.arguments:
            if isinstance(rule._converters[name], IntegerConverter):
                arguments[name] = values[name]
            else:
                arguments[name] = values.get(name, WORDS.get(name))
        if rule.endpoint == "api.fire_action_event":
            arguments["event"] = ACTION_EVENT
        if rule.endpoint == "actions.fire":
            arguments["event"] = ACTION_EVENT
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, adapter.build(rule.endpoint, arguments,
                                                                 method=method)))
    return sorted(found, key=lambda r: r[0] == "auth.logout")


def _outcome(response) -> str:
    if response.status_code == 401 or (response.status_code == 302 and response.headers[
            "Location"].startswith("/connexion")):
        return LOGIN
    return {403: FORBIDDEN, 404: HIDDEN}.get(response.status_code, OK)


def test_every_route_has_an_expected_access(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - ENDPOINTS.keys() == set(), "routes missing from access_matrix.py"
    assert ENDPOINTS.keys() - endpoints == set(), "access_matrix.py lists removed routes"
    assert set(ENDPOINTS.values()) <= RULES.keys()


def test_the_access_matrix_holds_for_every_route_persona_and_object(app, world):
    unexpected = []
    checked = 0
    for persona in PERSONAS:
        client = app.test_client()
        if persona != "anonymous":
            assert Auth(client).login(EMAILS[persona]).status_code == 302
            token = Auth(client).token(EMAILS[persona])
            form_token = csrf_token(client, "/mon-compte")
        for ownership in ("own", "other"):
            for endpoint, method, path in _requests(app, world[ownership]):
                if endpoint == "auth.logout" and ownership == "own":
                    continue  # once, at the very end
                expected = RULES[ENDPOINTS[endpoint]][persona][ownership == "other"]
                if path.startswith("/api/"):
                    headers = token if persona != "anonymous" else {}
                    response = client.open(path, method=method, headers=headers,
                                           **({} if method == "GET" else {"json": {}}))
                else:
                    data = None if method == "GET" or persona == "anonymous" else {
                        "csrf_token": form_token, "item_id": world[ownership]["item_id"]}
                    response = client.open(path, method=method, data=data)
                checked += 1
                if endpoint in {"auth.second_factor", "auth.login", "auth.logout"}:
                    # public, or a signed-in person sent home / to the login page
                    assert response.status_code in (200, 302, 400), (persona, endpoint)
                    continue
                got = _outcome(response)
                if got != expected:
                    unexpected.append((persona, ownership, method, path, endpoint,
                                       f"expected {expected}, got {response.status_code}"))
    assert unexpected == [], "\n".join(map(str, unexpected))
    assert checked > 1000
