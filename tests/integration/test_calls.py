"""The call journal through the API and the pages: logging, refusals, who sees what,
callbacks, opening a situation from a call, search, CSV, counters, orientation sheet."""

from datetime import UTC, datetime, timedelta

import pytest

from coordination.domain.accounts import OrganisationType, Role
from tests.conftest import PASSWORD, csrf_token, pdf_text
from tests.integration.test_persons_api import JEAN_PIERRE

GP_CALL = {"caller_name": "Dr Anne Pujol", "caller_role": "Médecin généraliste",
           "caller_organisation": "Cabinet de la Bastide", "caller_phone": "04 68 25 11 20",
           "caller_type": "professional", "motives": ["complex_situation"],
           "duration_seconds": 240, "notes": "Alcool, sortie d'hospitalisation sans suivi."}


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


@pytest.fixture
def directory(db_session):
    from directory import reference

    reference.load_communes(db_session, {"11"})
    reference.load_demo_services(db_session)


def log(client, headers, **overrides):
    return client.post("/api/v1/calls", json={**GP_CALL, **overrides}, headers=headers)


def service_ids(client, headers, q):
    return [s["id"] for s in client.get(f"/api/v1/directory/services?q={q}",
                                        headers=headers).get_json()["items"]]


def test_a_call_is_logged_and_listed(client, coordinator):
    response = log(client, coordinator)
    assert response.status_code == 201
    call = response.get_json()
    assert call["caller"]["name"] == "Dr Anne Pujol" and call["duration"] == "4:00"
    assert call["outcome"] == "information" and call["motives"] == ["complex_situation"]
    listed = client.get("/api/v1/calls", headers=coordinator).get_json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == call["id"]
    assert client.get(f"/api/v1/calls/{call['id']}", headers=coordinator).status_code == 200


def test_the_caller_may_be_sent_as_an_object_like_the_responses(client, coordinator):
    body = {"caller": {"name": "Sylvie Roques", "type": "family", "phone": "0612457890"},
            "motives": ["caregiver_support"]}
    call = client.post("/api/v1/calls", json=body, headers=coordinator).get_json()
    assert call["caller"]["type"] == "family" and call["caller"]["phone"] == "0612457890"
    bad = client.post("/api/v1/calls", json={**body, "caller": "Sylvie"}, headers=coordinator)
    assert bad.status_code == 422 and "caller" in bad.get_json()["error"]["details"]["fields"]


def test_bad_input_is_named_field_by_field(client, coordinator):
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    response = log(client, coordinator, caller_name="", motives=[], received_at=future,
                   duration_seconds=-5, caller_organisation_id=999999)
    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert {"caller_name", "motives", "received_at", "duration_seconds"} <= set(fields)
    response = log(client, coordinator, caller_organisation_id=999999)
    assert response.status_code == 422
    assert "caller_organisation_id" in response.get_json()["error"]["details"]["fields"]
    assert client.get("/api/v1/calls", headers=coordinator).get_json()["total"] == 0


def test_filters_are_checked(client, coordinator):
    response = client.get("/api/v1/calls?from=hier&outcome=perdu", headers=coordinator)
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {"from", "outcome"}


def test_orientation_needs_directory_services(client, coordinator, directory):
    cmp = service_ids(client, coordinator, "cmp")[:1]
    bad = log(client, coordinator, outcome="orientation", service_ids=[999999])
    assert bad.status_code == 422 and "999999" in str(bad.get_json())
    ok = log(client, coordinator, outcome="orientation", service_ids=cmp)
    assert ok.status_code == 201 and ok.get_json()["service_ids"] == cmp


def test_a_partner_name_typed_in_full_links_the_partner(client, coordinator, partnership):
    call = log(client, coordinator, caller_organisation="csapa de l'aude").get_json()
    assert call["caller"]["organisation_id"] == partnership["csapa"].id
    assert call["caller"]["organisation"] == "CSAPA de l'Aude"


def test_filters_by_period_outcome_motive_and_caller(client, coordinator):
    log(client, coordinator)
    log(client, coordinator, caller_name="Sylvie Roques", caller_type="family",
        motives=["caregiver_support"], received_at="2026-01-15T10:00",
        caller_phone="06 12 45 78 90")
    log(client, coordinator, caller_name="Anonyme", caller_phone="")  # no number at all
    assert client.get("/api/v1/calls?caller=sylvie", headers=coordinator).get_json()["total"] == 1
    assert client.get("/api/v1/calls?caller=0468251120",
                      headers=coordinator).get_json()["total"] == 1
    assert client.get("/api/v1/calls?from=2026-01-15&to=2026-01-15",
                      headers=coordinator).get_json()["total"] == 1
    assert client.get("/api/v1/calls?motive=caregiver_support",
                      headers=coordinator).get_json()["total"] == 1
    assert client.get("/api/v1/calls?outcome=orientation",
                      headers=coordinator).get_json()["total"] == 0


def test_only_the_answering_organisations_coordinators_see_its_calls(
        client, auth, coordinator, personas, make_organisation, make_user):
    call_id = log(client, coordinator).get_json()["id"]
    other_dac = make_organisation("DAC 34", OrganisationType.DAC)
    make_user("olga@dac34.test", other_dac, Role.COORDINATOR)
    other = auth.token("olga@dac34.test")
    assert client.get(f"/api/v1/calls/{call_id}", headers=other).status_code == 404
    assert client.get("/api/v1/calls", headers=other).get_json()["total"] == 0
    partner = auth.token("bob@csapa.test")
    assert client.get("/api/v1/calls", headers=partner).status_code == 403
    assert log(client, partner).status_code == 403
    manager = auth.token("emma@dac11.test")
    assert client.get(f"/api/v1/calls/{call_id}", headers=manager).status_code == 403


def test_a_callback_is_done_once(client, coordinator):
    due = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    # (a call logged after the fact: received three hours ago, to call back an hour ago)
    call = log(client, coordinator, callback_due_at=due,
               received_at=(datetime.now(UTC) - timedelta(hours=3)).isoformat()).get_json()
    done = client.post(f"/api/v1/calls/{call['id']}/callback", json={"note": "Joint, RDV pris"},
                       headers=coordinator)
    assert done.status_code == 200 and done.get_json()["callback_done_at"]
    again = client.post(f"/api/v1/calls/{call['id']}/callback", headers=coordinator)
    assert again.status_code == 409
    plain = log(client, coordinator).get_json()
    assert client.post(f"/api/v1/calls/{plain['id']}/callback",
                       headers=coordinator).status_code == 409


def test_a_situation_opened_from_a_call_takes_the_caller_as_requester(client, coordinator):
    person = client.post("/api/v1/persons", json=JEAN_PIERRE, headers=coordinator).get_json()
    call = log(client, coordinator, person_id=person["id"]).get_json()
    response = client.post("/api/v1/situations", json={"person_id": person["id"],
                                                       "call_id": call["id"]},
                           headers=coordinator)
    assert response.status_code == 201
    situation = response.get_json()
    assert situation["origin_call_id"] == call["id"]
    assert situation["requester"] == {"name": "Dr Anne Pujol", "role": "Médecin généraliste",
                                      "organisation": "Cabinet de la Bastide",
                                      "phone": "04 68 25 11 20"}
    # what the call told is not asked again: the requester's role, the call's notes
    assert situation["intake"]["requester_role"] == "gp"
    assert situation["intake"]["request_reason"] == call["notes"]
    linked = client.get(f"/api/v1/calls/{call['id']}", headers=coordinator).get_json()
    assert linked["outcome"] == "situation_opened" and linked["situation_id"] == situation["id"]
    twice = client.post("/api/v1/situations", json={"person_id": person["id"],
                                                    "call_id": call["id"]}, headers=coordinator)
    assert twice.status_code == 422 and "call_id" in twice.get_json()["error"]["details"]["fields"]
    unknown = client.post("/api/v1/situations", json={"person_id": person["id"],
                                                      "call_id": 999999}, headers=coordinator)
    assert unknown.status_code == 422


# --- pages ---------------------------------------------------------------------------------

@pytest.fixture
def signed_in(client, auth, personas):
    auth.login("alice@dac11.test")
    return client


def call_form(client, **overrides):
    data = {"csrf_token": csrf_token(client, "/appels/nouveau"), "caller_name": "Dr Pujol",
            "caller_type": "professional", "motives": ["housing"], "outcome": "information",
            "channel": "phone", "duration": "3:15", "enregistrer": "1"}
    data.update(overrides)
    return client.post("/appels/nouveau", data=data)


def test_the_call_screen_saves_in_one_post_and_is_ready_for_the_next(signed_in):
    page = signed_in.get("/appels/nouveau")
    assert page.status_code == 200 and 'accesskey="n"' in page.get_data(as_text=True)
    response = call_form(signed_in)
    assert response.status_code == 302 and "enregistre=" in response.headers["Location"]
    after = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "enregistré" in after and "Dr Pujol" in after
    journal = signed_in.get("/appels/").get_data(as_text=True)
    assert "Journal du jour" in journal and "Dr Pujol" in journal


def test_a_refused_call_form_keeps_everything_typed(signed_in):
    response = call_form(signed_in, caller_name="", motives=[], caller_phone="06 11 22 33 44",
                         notes="Très inquiète pour son frère", duration="-2")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "06 11 22 33 44" in page and "Très inquiète pour son frère" in page
    assert "Le nom de l&#39;appelant est obligatoire" in page
    assert "Choisir au moins un motif" in page and "jamais négative" in page


def test_the_directory_is_searched_without_leaving_the_call(signed_in, directory):
    response = call_form(signed_in, chercher="1", service_query="csapa",
                         caller_name="Karim Haddad", enregistrer=None)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "CSAPA" in page and "Karim Haddad" in page
    fragment = signed_in.get("/appels/services?q=cmp").get_data(as_text=True)
    assert 'name="service_ids"' in fragment


def test_the_orientation_sheet_lists_the_chosen_services(signed_in, client, directory,
                                                         coordinator):
    ids = service_ids(client, coordinator, "csapa")[:2]
    call = log(client, coordinator, outcome="orientation", service_ids=ids).get_json()
    response = signed_in.get(f"/appels/{call['id']}/orientation.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "Fiche d'orientation" in text and "CSAPA" in text and "Dr Anne Pujol" in text
    plain = log(client, coordinator).get_json()
    assert signed_in.get(f"/appels/{plain['id']}/orientation.pdf").status_code == 404


def test_known_callers_are_recognised_by_phone_and_name(signed_in, client, coordinator):
    log(client, coordinator)
    by_phone = signed_in.get("/appels/appelants?telephone=%2B33468251120").get_json()
    assert by_phone["items"][0]["name"] == "Dr Anne Pujol"
    by_name = signed_in.get("/appels/appelants?q=puj").get_json()
    assert by_name["items"][0]["organisation"] == "Cabinet de la Bastide"
    assert "Dr Anne Pujol" in signed_in.get("/appels/nouveau").get_data(as_text=True)


def test_callbacks_show_on_the_dashboard_overdue_highlighted(signed_in, client, coordinator):
    late = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    call = log(client, coordinator, callback_due_at=late,
               received_at=(datetime.now(UTC) - timedelta(hours=3)).isoformat()).get_json()
    home = signed_in.get("/").get_data(as_text=True)
    assert 'class="overdue"' in home and "en retard" in home
    token = csrf_token(signed_in, "/")
    done = signed_in.post(f"/appels/{call['id']}/rappel", data={"csrf_token": token,
                                                               "note": "Rappelée"})
    assert done.status_code == 302
    assert "en retard" not in signed_in.get("/").get_data(as_text=True)


def test_opening_a_situation_from_a_call_in_one_click(signed_in, client, coordinator):
    person = client.post("/api/v1/persons", json=JEAN_PIERRE, headers=coordinator).get_json()
    with_person = log(client, coordinator, person_id=person["id"]).get_json()
    token = csrf_token(signed_in, f"/appels/{with_person['id']}")
    response = signed_in.post(f"/appels/{with_person['id']}/situation",
                              data={"csrf_token": token})
    assert response.status_code == 302 and "/situations/" in response.headers["Location"]
    anonymous = log(client, coordinator, person_label="M. X, 45 ans").get_json()
    response = signed_in.post(f"/appels/{anonymous['id']}/situation",
                              data={"csrf_token": token})
    assert "/personnes/" in response.headers["Location"]
    assert f"appel={anonymous['id']}" in response.headers["Location"]
    search = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "M. X, 45 ans" in search
    page = signed_in.get(f"/personnes/{person['id']}?appel={anonymous['id']}")
    assert f'name="call_id" value="{anonymous["id"]}"' in page.get_data(as_text=True)


def test_journal_history_csv_and_counters(signed_in, client, coordinator, auth):
    log(client, coordinator, caller_name="=HYPERLINK(\"x\")")
    log(client, coordinator, caller_name="Sylvie Roques", caller_type="family",
        motives=["caregiver_support"])
    history = signed_in.get("/appels/?caller=sylvie").get_data(as_text=True)
    assert "Historique" in history and "Sylvie Roques" in history
    assert signed_in.get("/appels/?from=demain").status_code == 422
    csv = signed_in.get("/appels/export.csv").get_data(as_text=True)
    assert csv.startswith("\ufeffn°;reçu le") and "Sylvie Roques" in csv
    assert "'=HYPERLINK" in csv  # a formula is neutralised
    activity = signed_in.get("/appels/activite").get_data(as_text=True)
    assert "Proche ou aidant" in activity and "Soutien d&#39;un aidant" in activity
    auth.logout()
    auth.login("emma@dac11.test")
    manager_view = client.get("/appels/activite")
    assert manager_view.status_code == 200
    assert "Sylvie" not in manager_view.get_data(as_text=True)
    assert client.get("/appels/").status_code == 403


def test_admins_configure_the_motives(client, auth, personas):
    auth.login("farid@dac11.test")
    token = csrf_token(client, "/admin/motifs-appel")
    bad = client.post("/admin/motifs-appel", data={"csrf_token": token, "code": "Bad Code",
                                                    "label": "x"})
    assert bad.status_code == 422
    client.post("/admin/motifs-appel", data={"csrf_token": token, "code": "prison_release",
                                             "label": "Sortie de détention"})
    client.post("/admin/motifs-appel/housing", data={"csrf_token": token})
    auth.logout()
    auth.login("alice@dac11.test", PASSWORD)
    screen = client.get("/appels/nouveau").get_data(as_text=True)
    assert "Sortie de détention" in screen and 'value="housing"' not in screen


def test_malformed_call_inputs_are_422(client, coordinator, signed_in):
    call = log(client, coordinator, callback_due_at=datetime.now(UTC).isoformat()).get_json()
    note = client.post(f"/api/v1/calls/{call['id']}/callback", json={"note": 5},
                       headers=coordinator)
    assert note.status_code == 422
    assert log(client, coordinator, duration=270).status_code == 422
    page = call_form(signed_in, situation_id="²", outcome="linked_situation")
    assert page.status_code == 422


def test_a_refused_search_still_audits_the_calls_it_shows(signed_in, client, coordinator,
                                                          db_session):
    from sqlalchemy import func, select

    from coordination.models import AuditEvent

    log(client, coordinator)
    before = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "read", AuditEvent.object_type == "calls"))
    assert signed_in.get("/appels/?from=xx").status_code == 422
    after = db_session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "read", AuditEvent.object_type == "calls"))
    assert after > before


def test_choosing_situation_opened_on_the_call_screen_saves_and_opens_it(
        signed_in, client, coordinator):
    """No refusal in API words: the call is saved, the coordinator goes on to identify the
    person; consent recorded on the way keeps the call; the situation opens from it."""
    response = call_form(signed_in, outcome="situation_opened", person_label="M. Roche")
    assert response.status_code == 302 and "/personnes/" in response.headers["Location"]
    call_id = int(response.headers["Location"].split("appel=")[1].split("&")[0])
    person = client.post("/api/v1/persons", json={
        "birth_name": "ROCHE", "birth_first_names": "Paul", "birth_date": "1981-03-04",
        "sex": "M"}, headers=coordinator).get_json()
    page = f"/personnes/{person['id']}?appel={call_id}"
    consent = signed_in.post(f"/personnes/{person['id']}/consentements?appel={call_id}", data={
        "csrf_token": csrf_token(signed_in, page), "kind_prefix": "information",
        "information-kind": "information", "information-method": "oral"})
    assert f"appel={call_id}" in consent.headers["Location"]
    shown = signed_in.get(consent.headers["Location"]).get_data(as_text=True)
    assert f"Depuis l'appel n° {call_id}" in shown
    opened = signed_in.post(f"/situations/ouvrir/{person['id']}", data={
        "csrf_token": csrf_token(signed_in, page), "call_id": str(call_id)})
    assert opened.status_code == 302
    call = client.get(f"/api/v1/calls/{call_id}", headers=coordinator).get_json()
    assert call["outcome"] == "situation_opened" and call["situation_id"]
    situation = client.get(f"/api/v1/situations/{call['situation_id']}",
                           headers=coordinator).get_json()
    assert situation["requester"]["name"] == "Dr Pujol"
    listed = signed_in.get(f"/personnes/{person['id']}").get_data(as_text=True)
    assert f"Situation n° {call['situation_id']}" in listed


def test_with_the_person_known_situation_opened_goes_straight_to_the_intake(
        signed_in, client, coordinator):
    person = client.post("/api/v1/persons", json={
        "birth_name": "FABRE", "birth_first_names": "Lucie", "birth_date": "1979-06-05",
        "sex": "F"}, headers=coordinator).get_json()
    response = call_form(signed_in, outcome="situation_opened", person_id=str(person["id"]))
    assert response.status_code == 302 and "fiche-de-recueil" in response.headers["Location"]


def test_a_call_about_a_known_person_names_them_on_the_screen(signed_in, client, coordinator):
    person = client.post("/api/v1/persons", json=JEAN_PIERRE, headers=coordinator).get_json()
    person_page = signed_in.get(f"/personnes/{person['id']}").get_data(as_text=True)
    assert f"/appels/nouveau?personne={person['id']}" in person_page
    screen = signed_in.get(f"/appels/nouveau?personne={person['id']}").get_data(as_text=True)
    assert "LEFEVRE Jean, né en 1971" in screen
    assert signed_in.get("/appels/nouveau?personne=999999").status_code == 200
