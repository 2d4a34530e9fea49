"""The meeting pages in the browser's terms: programming, the agenda, the meeting screen
(a refused decision keeps what was typed), the partner's actions, the bell."""

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import csrf_token
from tests.integration.test_meetings import awaiting_meeting, built

IN_TEN_DAYS = (date.today() + timedelta(days=10)).isoformat()


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


@pytest.fixture
def meeting_id(client, coordinator, partnership):
    awaiting_meeting(client, coordinator)
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
    meeting = client.post("/api/v1/meetings", json={
        "title": "Réunion partenariale", "starts_at": starts,
        "invited_organisation_ids": [partnership["csapa"].id]}, headers=coordinator).get_json()
    built(client, coordinator, meeting["id"])
    return meeting["id"]


def test_the_agenda_page_and_the_meeting_screen(client, auth, meeting_id, partnership):
    auth.login("alice@dac11.test")
    page = client.get(f"/reunions/{meeting_id}").get_data(as_text=True)
    assert "Nouvelle situation orientée vers la réunion" in page and "LEFEVRE" in page.upper()
    screen = client.get(f"/reunions/{meeting_id}/seance")
    assert screen.status_code == 200
    html = screen.get_data(as_text=True)
    item_id = html.split('name="item_id" value="')[1].split('"')[0]
    token = csrf_token(client, f"/reunions/{meeting_id}/seance")
    refused = client.post(f"/reunions/{meeting_id}/seance", data={
        "csrf_token": token, "item_id": item_id, "notes": "Notes à ne pas perdre",
        "decision": "", "action-0-title": "Rendez-vous CSAPA",
        "action-0-organisation": str(partnership["csapa"].id), "action-0-due_on": IN_TEN_DAYS})
    assert refused.status_code == 422
    kept = refused.get_data(as_text=True)
    assert "Notes à ne pas perdre" in kept and 'value="Rendez-vous CSAPA"' in kept
    assert "Champ obligatoire" in kept
    saved = client.post(f"/reunions/{meeting_id}/seance", data={
        "csrf_token": token, "item_id": item_id, "notes": "Notes", "decision": "Coordination",
        "action-0-title": "Rendez-vous CSAPA", "action-0-type": "csapa_appointment",
        "action-0-organisation": str(partnership["csapa"].id), "action-0-due_on": IN_TEN_DAYS})
    assert saved.status_code == 302
    auth.logout()
    auth.login("bob@csapa.test")
    actions_page = client.get("/actions/").get_data(as_text=True)
    assert "Rendez-vous CSAPA" in actions_page and "Actions de CSAPA" in actions_page
    assert 'class="bell-count"' in client.get("/").get_data(as_text=True)
    action_id = re.search(r'href="/actions/(\d+)"', actions_page).group(1)
    token = csrf_token(client, f"/actions/{action_id}")
    done = client.post(f"/actions/{action_id}/complete", data={
        "csrf_token": token, "completion_note": "Reçu, suivi engagé", "version": "1"})
    assert done.status_code == 302
    assert "Réalisée" in client.get(f"/actions/{action_id}").get_data(as_text=True)


def test_a_situation_on_an_agenda_says_when_it_will_be_discussed(client, auth, meeting_id,
                                                                  coordinator):
    agenda = client.get(f"/api/v1/meetings/{meeting_id}/agenda", headers=coordinator).get_json()
    situation_id = agenda["items"][0]["situation_id"]
    auth.login("alice@dac11.test")
    page = client.get(f"/situations/{situation_id}").get_data(as_text=True)
    assert "À l'ordre du jour de la" in page and f"/reunions/{meeting_id}" in page


def test_the_next_meetings_are_on_the_dashboards(client, auth, meeting_id):
    for email in ("alice@dac11.test", "bob@csapa.test"):  # host, invited partner
        auth.login(email)
        home = client.get("/").get_data(as_text=True)
        assert "Prochaines réunions partenariales" in home
        assert f'href="/reunions/{meeting_id}"' in home
        auth.logout()


def test_closing_warns_of_what_is_undecided_then_the_screen_is_read_only(
        client, auth, coordinator, meeting_id):
    auth.login("alice@dac11.test")
    screen = client.get(f"/reunions/{meeting_id}/seance").get_data(as_text=True)
    assert "pas encore commencé" in screen and "1 situation(s) sans décision" in screen
    client.post(f"/api/v1/meetings/{meeting_id}/close", headers=coordinator)
    after = client.get(f"/reunions/{meeting_id}/seance")
    assert after.status_code == 302 and after.headers["Location"] == f"/reunions/{meeting_id}"


def test_programming_a_series_from_the_form_keeps_values_on_error(client, auth, personas,
                                                                  partnership):
    auth.login("alice@dac11.test")
    token = csrf_token(client, "/reunions/programmer")
    refused = client.post("/reunions/programmer", data={
        "csrf_token": token, "kind": "series", "name": "Concertation", "time": "26:00",
        "weekday": "tuesday", "positions": ["2", "4"], "place": "Salle du DAC"})
    assert refused.status_code == 422
    assert 'value="Concertation"' in refused.get_data(as_text=True)
    created = client.post("/reunions/programmer", data={
        "csrf_token": token, "kind": "series", "name": "Concertation", "time": "14:00",
        "weekday": "tuesday", "positions": ["2", "4"], "agenda_cap": "10",
        "freeze_days_before": "3", "duration_minutes": "120", "holiday_policy": "skip",
        "invited_organisation_ids": [str(partnership["csapa"].id)]})
    assert created.status_code == 302
    listing = client.get("/reunions/").get_data(as_text=True)
    assert "2e et 4e mardis du mois à 14 h 00" in listing


def test_a_partner_cannot_run_a_meeting(client, auth, meeting_id):
    auth.login("bob@csapa.test")
    assert client.get(f"/reunions/{meeting_id}").status_code == 200
    assert client.get(f"/reunions/{meeting_id}/seance").status_code == 403
    auth.logout()
    auth.login("david@cpts.test")
    assert client.get(f"/reunions/{meeting_id}").status_code == 404


def test_the_situation_synthesis_pdf(client, auth, coordinator, meeting_id, partnership):
    from tests.conftest import pdf_text

    auth.login("alice@dac11.test")
    page = client.get(f"/reunions/{meeting_id}/seance").get_data(as_text=True)
    item_id = page.split('name="item_id" value="')[1].split('"')[0]
    token = csrf_token(client, f"/reunions/{meeting_id}/seance")
    client.post(f"/reunions/{meeting_id}/seance", data={
        "csrf_token": token, "item_id": item_id, "decision": "Coordination CSAPA",
        "action-0-title": "Rendez-vous CSAPA", "action-0-type": "csapa_appointment",
        "action-0-organisation": str(partnership["csapa"].id), "action-0-due_on": IN_TEN_DAYS})
    situation_id = re.search(r'href="/situations/(\d+)"',
                             client.get(f"/reunions/{meeting_id}").get_data(as_text=True))
    response = client.get(f"/situations/{situation_id.group(1)}/synthese.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data)
    assert "Synth" in text and "Rendez-vous CSAPA" in text and "Coordination CSAPA" in text
    auth.logout()
    auth.login("david@cpts.test")
    assert client.get(f"/situations/{situation_id.group(1)}/synthese.pdf").status_code == 404


def test_refused_action_forms_keep_what_was_typed(client, auth, coordinator, partnership):
    """Creating an action with a past due date, or completing one with a stale version,
    answers with the page again and the typed text, not a redirect that loses it."""
    sid = awaiting_meeting(client, coordinator)
    auth.login("alice@dac11.test")
    token = csrf_token(client, f"/situations/{sid}")
    past = (date.today() - timedelta(days=3)).isoformat()
    typed = {"csrf_token": token, "title": "Appeler le CMP de Narbonne", "type": "cmp_appointment",
             "assignee_organisation_id": str(partnership["csapa"].id), "due_on": past}
    refused = client.post(f"/actions/situation/{sid}", data=typed)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'value="Appeler le CMP de Narbonne"' in page and f'value="{past}"' in page
    assert "Échéance déjà passée" in page and 'name="confirm"' in page
    created = client.post(f"/actions/situation/{sid}", data={**typed, "confirm": "1"})
    assert created.status_code == 302
    action_id = re.search(r'href="/actions/(\d+)"', client.get(f"/situations/{sid}").get_data(
        as_text=True)).group(1)
    token = csrf_token(client, f"/actions/{action_id}")
    stale = client.post(f"/actions/{action_id}/complete", data={
        "csrf_token": token, "completion_note": "Rendez-vous pris le 12 à 14 h",
        "outcome": "as_planned", "version": "99"})
    assert stale.status_code == 409
    assert "Rendez-vous pris le 12 à 14 h" in stale.get_data(as_text=True)
