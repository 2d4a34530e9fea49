"""Partner meetings through the API: series and meetings ahead, the agenda and why each
item is there, decisions with actions, the partner completing its action, the refusals
(409 on a held or cancelled meeting, a past due date, a missing consent), PDFs."""

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import pdf_text
from tests.integration.test_persons_api import JEAN_PIERRE
from tests.integration.test_situations_api import COMPLETE_INTAKE, event, put_intake

IN_TEN_DAYS = (date.today() + timedelta(days=10)).isoformat()


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


def awaiting_meeting(client, headers, person=JEAN_PIERRE):
    """A situation triaged to the partner meeting (the logigramme's "meeting" outcome)."""
    person_id = client.post("/api/v1/persons", json=person, headers=headers).get_json()["id"]
    client.post(f"/api/v1/persons/{person_id}/consents",
                json={"kind": "information", "method": "oral"}, headers=headers)
    sid = client.post("/api/v1/situations", json={"person_id": person_id},
                      headers=headers).get_json()["id"]
    put_intake(client, headers, sid, COMPLETE_INTAKE)
    event(client, headers, sid, "submit_for_triage")
    triage = client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=headers)
    assert triage.get_json()["state"] == "awaiting_meeting"
    return sid


@pytest.fixture
def situation_id(client, coordinator):
    return awaiting_meeting(client, coordinator)


@pytest.fixture
def meeting(client, coordinator, partnership):
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    response = client.post("/api/v1/meetings", json={
        "title": "Réunion partenariale", "starts_at": starts, "agenda_cap": 5,
        "invited_organisation_ids": [partnership["csapa"].id, partnership["siao"].id]},
        headers=coordinator)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def decide(client, headers, meeting_id, item_id, **body):
    return client.post(f"/api/v1/meetings/{meeting_id}/items/{item_id}/decision",
                       json={"decision": "Coordination : CSAPA et SIAO", **body},
                       headers=headers)


def built(client, headers, meeting_id):
    response = client.post(f"/api/v1/meetings/{meeting_id}/agenda/build", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_a_series_creates_its_meetings_ahead_once(client, coordinator, partnership):
    body = {"name": "Concertation", "invited_organisation_ids": [partnership["csapa"].id],
            "recurrence": {"weekday": "tuesday", "positions": "2,4", "time": "14:00"}}
    response = client.post("/api/v1/meeting-series", json=body, headers=coordinator)
    assert response.status_code == 201
    listed = client.get("/api/v1/meetings?upcoming=true", headers=coordinator).get_json()
    assert 4 <= listed["total"] <= 6  # ten weeks of 2nd and 4th Tuesdays
    for meeting in listed["items"]:
        local = datetime.fromisoformat(meeting["starts_at"]).astimezone()
        assert local.weekday() == 1
    bad = client.post("/api/v1/meeting-series", json={
        **body, "recurrence": {"weekday": "funday", "positions": "9", "time": "25:00"}},
        headers=coordinator)
    assert bad.status_code == 422
    assert {"recurrence.weekday", "recurrence.positions", "recurrence.time"} <= set(
        bad.get_json()["error"]["details"]["fields"])


def test_the_agenda_says_why_each_situation_is_there(client, coordinator, meeting,
                                                    situation_id):
    agenda = built(client, coordinator, meeting["id"])
    assert [i["situation_id"] for i in agenda["items"]] == [situation_id]
    item = agenda["items"][0]
    assert item["position"] == 1 and item["reasons"][0]["code"] == "new_triaged"
    assert "Priorité" in item["explanation"]
    again = client.get(f"/api/v1/meetings/{meeting['id']}/agenda", headers=coordinator)
    assert again.get_json()["items"][0]["id"] == item["id"]


def test_overflow_beyond_the_cap_is_announced_to_the_referent(client, coordinator, meeting,
                                                              situation_id):
    second = awaiting_meeting(client, coordinator, {**JEAN_PIERRE, "birth_name": "MARTIN",
                                                    "birth_date": "1971-02-03"})
    client.post("/api/v1/meetings", json={})  # unauthenticated noise: refused, changes nothing
    from coordination.models import Meeting

    # cap the meeting at one through the model: the API sets the cap at creation only
    app_session = client.application.extensions["coordination.sessions"]()
    row = app_session.get(Meeting, meeting["id"])
    row.agenda_cap = 1
    app_session.commit()
    agenda = built(client, coordinator, meeting["id"])
    assert len(agenda["items"]) == 1 and len(agenda["overflow"]) == 1
    assert agenda["notices"]
    notes = client.get("/api/v1/notifications", headers=coordinator).get_json()["items"]
    assert any(n["kind"] == "agenda_overflow" for n in notes)
    assert {agenda["items"][0]["situation_id"], agenda["overflow"][0]["situation_id"]} == {
        situation_id, second}


def test_a_decision_moves_the_situation_and_gives_actions_to_partners(
        client, auth, coordinator, meeting, situation_id, partnership):
    item = built(client, coordinator, meeting["id"])["items"][0]
    response = decide(client, coordinator, meeting["id"], item["id"],
                      notes="Alcool, risque d'expulsion", next_review_on=IN_TEN_DAYS,
                      actions=[{"title": "Rendez-vous CSAPA", "type": "csapa_appointment",
                                "assignee_organisation_id": partnership["csapa"].id,
                                "due_on": IN_TEN_DAYS}])
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["situation"]["state"] == "in_coordination"
    assert body["item"]["decision"].startswith("Coordination")
    action_id = body["actions"][0]["id"]
    situation = client.get(f"/api/v1/situations/{situation_id}", headers=coordinator).get_json()
    assert situation["next_review_on"] == IN_TEN_DAYS
    assert partnership["csapa"].id in [s["organisation_id"] for s in situation["shared_with"]]
    # the CSAPA partner sees it, is notified, and completes it
    csapa = auth.token("bob@csapa.test")
    mine = client.get("/api/v1/actions?assigned_to=my_organisation", headers=csapa).get_json()
    assert [a["id"] for a in mine["items"]] == [action_id]
    assert any(n["kind"] == "action_assigned" for n in client.get(
        "/api/v1/notifications", headers=csapa).get_json()["items"])
    refused = client.post(f"/api/v1/actions/{action_id}/events/complete", json={},
                          headers=csapa)
    assert refused.status_code == 409
    done = client.post(f"/api/v1/actions/{action_id}/events/complete",
                       json={"completion_note": "Reçu le 12, suivi engagé"}, headers=csapa)
    assert done.status_code == 200 and done.get_json()["status"] == "done"
    # an organisation the action is not for does not see it
    siao = auth.token("chloe@siao.test")
    assert client.get(f"/api/v1/actions/{action_id}", headers=siao).status_code == 404


def test_nothing_is_half_written_when_one_action_is_refused(
        client, coordinator, meeting, situation_id, partnership):
    item = built(client, coordinator, meeting["id"])["items"][0]
    past = (date.today() - timedelta(days=2)).isoformat()
    response = decide(client, coordinator, meeting["id"], item["id"], actions=[
        {"title": "CSAPA", "assignee_organisation_id": partnership["csapa"].id,
         "due_on": IN_TEN_DAYS},
        {"title": "", "assignee_organisation_id": 999999, "due_on": past}])
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert {"actions[1].title", "actions[1].assignee_organisation_id",
            "actions[1].due_on"} <= set(fields)
    # the SIAO is not a health team: without the person's consent, refused with the reason
    refused = decide(client, coordinator, meeting["id"], item["id"], actions=[
        {"title": "Demande SIAO", "type": "siao_request",
         "assignee_organisation_id": partnership["siao"].id, "due_on": IN_TEN_DAYS}])
    assert refused.status_code == 409 and "consentement" in refused.get_json()["error"][
        "message"].lower()
    assert client.get("/api/v1/actions", headers=coordinator).get_json()["total"] == 0
    agenda = client.get(f"/api/v1/meetings/{meeting['id']}/agenda",
                        headers=coordinator).get_json()
    assert agenda["items"][0]["decided_at"] is None
    confirmed = decide(client, coordinator, meeting["id"], item["id"], actions=[
        {"title": "CSAPA", "assignee_organisation_id": partnership["csapa"].id,
         "due_on": past, "confirm_past_due": True}])
    assert confirmed.status_code == 200
    assert confirmed.get_json()["actions"][0]["overdue"] is True


def test_decisions_on_a_held_or_cancelled_meeting_are_409(client, coordinator, meeting,
                                                         situation_id):
    item = built(client, coordinator, meeting["id"])["items"][0]
    client.post(f"/api/v1/meetings/{meeting['id']}/agenda/freeze", headers=coordinator)
    assert client.post(f"/api/v1/meetings/{meeting['id']}/agenda/build",
                       headers=coordinator).status_code == 409
    assert decide(client, coordinator, meeting["id"], item["id"]).status_code == 200
    client.post(f"/api/v1/meetings/{meeting['id']}/close", headers=coordinator)
    assert decide(client, coordinator, meeting["id"], item["id"]).status_code == 409
    published = client.post(f"/api/v1/meetings/{meeting['id']}/minutes/publish",
                            headers=coordinator)
    assert published.get_json()["status"] == "minutes_published"
    assert decide(client, coordinator, meeting["id"], item["id"]).status_code == 409


def test_a_partner_sees_only_invited_meetings_and_shared_situations(
        client, auth, coordinator, meeting, situation_id, partnership):
    built(client, coordinator, meeting["id"])
    csapa = auth.token("bob@csapa.test")
    agenda = client.get(f"/api/v1/meetings/{meeting['id']}/agenda", headers=csapa).get_json()
    # not even how many situations it does not see
    assert agenda["items"] == [] and agenda["only_shared_situations"] is True
    assert "hidden_items" not in agenda
    stranger = auth.token("david@cpts.test")
    assert client.get(f"/api/v1/meetings/{meeting['id']}", headers=stranger).status_code == 404
    assert client.post(f"/api/v1/meetings/{meeting['id']}/agenda/build",
                       headers=csapa).status_code == 403


def test_pdfs_full_pseudonymised_and_minutes(client, coordinator, meeting, situation_id,
                                            partnership):
    item = built(client, coordinator, meeting["id"])["items"][0]
    full = pdf_text(client.get(f"/api/v1/meetings/{meeting['id']}/agenda.pdf",
                               headers=coordinator).data)
    assert "LEFEVRE" in full.upper() and "Ordre du jour" in full
    pseudo = pdf_text(client.get(f"/api/v1/meetings/{meeting['id']}/agenda.pdf"
                                 "?pseudonymised=1", headers=coordinator).data)
    assert "LEFEVRE" not in pseudo.upper() and "03/04/1971" not in pseudo
    assert "1971" in pseudo and "J. L." in pseudo
    decide(client, coordinator, meeting["id"], item["id"], notes="Discussion confidentielle",
           actions=[{"title": "Rendez-vous CSAPA", "assignee_organisation_id":
                     partnership["csapa"].id, "due_on": IN_TEN_DAYS}])
    minutes = pdf_text(client.get(f"/api/v1/meetings/{meeting['id']}/minutes.pdf",
                                  headers=coordinator).data)
    assert "Rendez-vous CSAPA" in minutes and "projet" in minutes


def test_the_pseudonymised_agenda_quotes_no_note(client, auth, coordinator, meeting,
                                                situation_id):
    """A manual addition's note ends up in its reason's detail: the full agenda shows it,
    the version made to circulate does not."""
    from tests.conftest import csrf_token

    auth.login("alice@dac11.test")
    added = client.post(f"/reunions/{meeting['id']}/ordre-du-jour/ajouter", data={
        "situation_id": str(situation_id), "note": "premier épisode délirant",
        "csrf_token": csrf_token(client, f"/reunions/{meeting['id']}")})
    assert added.status_code == 302
    auth.logout()
    agenda = client.get(f"/api/v1/meetings/{meeting['id']}/agenda",
                        headers=coordinator).get_json()
    assert any("premier épisode" in (r["detail"] or "")
               for i in agenda["items"] for r in i["reasons"])
    full = pdf_text(client.get(f"/api/v1/meetings/{meeting['id']}/agenda.pdf",
                               headers=coordinator).data)
    assert "premier" in full  # (accents are escaped in the PDF stream)
    pseudo = pdf_text(client.get(f"/api/v1/meetings/{meeting['id']}/agenda.pdf"
                                 "?pseudonymised=1", headers=coordinator).data)
    assert "premier" not in pseudo and "Ajout" in pseudo


def test_a_bad_meeting_is_named_field_by_field(client, coordinator):
    response = client.post("/api/v1/meetings", json={
        "title": "", "starts_at": "demain", "agenda_cap": 0, "duration_minutes": 5,
        "invited_organisation_ids": [999999]}, headers=coordinator)
    assert response.status_code == 422
    assert {"title", "starts_at", "agenda_cap", "duration_minutes",
            "invited_organisation_ids"} == set(response.get_json()["error"]["details"]["fields"])


def test_actions_list_filters_are_checked(client, coordinator):
    response = client.get("/api/v1/actions?assigned_to=everyone&status=lost&overdue=maybe",
                          headers=coordinator)
    assert response.status_code == 422


def test_a_non_health_partner_with_consent_may_be_assigned(client, coordinator, meeting,
                                                           situation_id, partnership):
    situation = client.get(f"/api/v1/situations/{situation_id}", headers=coordinator).get_json()
    client.post(f"/api/v1/persons/{situation['person_id']}/consents", json={
        "kind": "consent", "organisation_id": partnership["siao"].id, "scope": "hébergement"},
        headers=coordinator)
    item = built(client, coordinator, meeting["id"])["items"][0]
    response = decide(client, coordinator, meeting["id"], item["id"], actions=[
        {"title": "Demande SIAO", "type": "siao_request",
         "assignee_organisation_id": partnership["siao"].id, "due_on": IN_TEN_DAYS}])
    assert response.status_code == 200



def test_activity_figures_count_meetings_and_actions_on_time(client, auth, coordinator,
                                                             meeting, situation_id,
                                                             partnership):
    item = built(client, coordinator, meeting["id"])["items"][0]
    action = decide(client, coordinator, meeting["id"], item["id"], actions=[
        {"title": "Rendez-vous CSAPA", "assignee_organisation_id": partnership["csapa"].id,
         "due_on": IN_TEN_DAYS}]).get_json()["actions"][0]
    client.post(f"/api/v1/actions/{action['id']}/events/complete",
                json={"completion_note": "Fait"}, headers=auth.token("bob@csapa.test"))
    client.post(f"/api/v1/meetings/{meeting['id']}/close", headers=coordinator)
    manager = auth.token("emma@dac11.test")
    period = f"from={date.today().replace(day=1).isoformat()}&to={IN_TEN_DAYS}"
    figures = client.get(f"/api/v1/observatory/activity?{period}", headers=manager).get_json()
    mine = figures["actions_and_meetings"]
    assert mine["actions_created"] == 1 and mine["actions_done"] == 1
    assert mine["on_time_by_organisation"] == [{"organisation": "CSAPA de l'Aude", "done": 1,
                                                "on_time": 1, "on_time_share": 1.0}]
    assert mine["meetings_held"] == 1 and mine["situations_discussed"] == 1


def test_another_dac_sees_none_of_these_situations_actions_or_meetings(
        client, coordinator, meeting, situation_id, partnership, make_organisation,
        make_user, auth):
    from coordination.domain.accounts import OrganisationType, Role

    item = built(client, coordinator, meeting["id"])["items"][0]
    decide(client, coordinator, meeting["id"], item["id"], actions=[
        {"title": "CSAPA", "assignee_organisation_id": partnership["csapa"].id,
         "due_on": IN_TEN_DAYS}])
    other = make_organisation("DAC 34", OrganisationType.DAC)
    make_user("zoe@dac34.test", other, Role.COORDINATOR)
    zoe = auth.token("zoe@dac34.test")
    assert client.get("/api/v1/actions", headers=zoe).get_json()["total"] == 0
    assert client.get(f"/api/v1/situations/{situation_id}", headers=zoe).status_code == 404
    assert client.get("/api/v1/situations", headers=zoe).get_json()["total"] == 0
    assert client.get(f"/api/v1/meetings/{meeting['id']}", headers=zoe).status_code == 404


@pytest.mark.parametrize("body,field", [
    ({"title": "x", "type": ["cmp_appointment"]}, "type"),
    ({"title": "x", "due_on": 20301201}, "due_on"),
])
def test_malformed_actions_are_422_naming_the_field(client, coordinator, situation_id,
                                                   partnership, body, field):
    response = client.post(f"/api/v1/situations/{situation_id}/actions", json={
        "assignee_organisation_id": partnership["csapa"].id, **body}, headers=coordinator)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize("body,field", [
    ({"event_fields": "abc"}, "event_fields"),
    ({"next_review_on": 20301201}, "next_review_on"),
    ({"actions": "CSAPA"}, "actions"),
    ({"event": "close", "event_fields": {"closure_reason": "resolved"},
      "actions": [{"title": "x", "assignee_organisation_id": "csapa", "due_on": IN_TEN_DAYS}]},
     "event"),
])
def test_malformed_decisions_are_422_and_write_nothing(client, coordinator, meeting,
                                                      situation_id, partnership, body, field):
    for action in body.get("actions") if isinstance(body.get("actions"), list) else []:
        action["assignee_organisation_id"] = partnership["csapa"].id
    item = built(client, coordinator, meeting["id"])["items"][0]
    response = decide(client, coordinator, meeting["id"], item["id"], **body)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]
    assert client.get("/api/v1/actions", headers=coordinator).get_json()["total"] == 0


def test_other_malformed_meeting_inputs_are_422(client, coordinator, meeting, partnership):
    closing = client.post(f"/api/v1/meetings/{meeting['id']}/close",
                          json={"general_notes": 5}, headers=coordinator)
    assert closing.status_code == 422
    series = client.post("/api/v1/meeting-series", json={"name": "x", "recurrence": "x"},
                         headers=coordinator)
    assert series.status_code == 422
    assert "recurrence" in series.get_json()["error"]["details"]["fields"]
