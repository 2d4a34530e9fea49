"""Field-level rule (issue 9): a housing partner (SIAO, non-health organisation) that sees a
situation under the person's consent does not see its health details — psychiatric
disorder, substances, disability, trauma, suicide risk — unless that consent covers them;
health teams (CSAPA) see them; the page, the API and the triage path all say the same."""

from datetime import date

from tests.integration.test_situations_api import COMPLETE_INTAKE, event, put_intake

HEALTH_FIELDS = {"psychiatric_disorder", "substances", "suicide_risk", "request_reason"}


def _triaged_and_shared(client, coordinator, situation, partnership, person_id,
                        covers_health_details):
    sid = situation["id"]
    saved = put_intake(client, coordinator, sid, COMPLETE_INTAKE).get_json()
    assert event(client, coordinator, sid, "submit_for_triage", version=saved["version"]
                 ).status_code == 200
    assert client.post(f"/api/v1/situations/{sid}/triage", json={},
                       headers=coordinator).status_code == 200
    consent = client.post(f"/api/v1/persons/{person_id}/consents", json={
        "kind": "consent", "organisation_id": partnership["siao"].id,
        "covers_health_details": covers_health_details}, headers=coordinator)
    assert consent.status_code == 201, consent.get_json()
    assert consent.get_json()["covers_health_details"] is covers_health_details
    for organisation in ("siao", "csapa"):
        assert client.post(f"/api/v1/situations/{sid}/shares",
                           json={"organisation_id": partnership[organisation].id},
                           headers=coordinator).status_code == 201
    return sid, consent.get_json()


def test_a_housing_partner_sees_the_situation_without_its_health_details(
        client, auth, partnership, coordinator, situation, person_id):
    sid, _ = _triaged_and_shared(client, coordinator, situation, partnership, person_id,
                                 covers_health_details=False)
    siao = client.get(f"/api/v1/situations/{sid}", headers=auth.token("chloe@siao.test"))
    body = siao.get_json()
    assert siao.status_code == 200
    assert HEALTH_FIELDS.isdisjoint(body["intake"])
    from coordination.workflows.intake import load_schema

    assert set(body["intake_withheld_fields"]) == load_schema().health_detail_fields
    assert body["intake"]["housing_status"] == "threatened"  # what housing needs stays
    assert body["intake"]["domains"] == ["housing"]  # the health domains are left out
    assert HEALTH_FIELDS.isdisjoint(body["triage"]["answers"])
    withheld = [s for s in body["triage"]["path"] if s.get("withheld")]
    assert {s["field"] for s in withheld} <= HEALTH_FIELDS | {"domains"} and withheld
    assert all(s["value"] is None and s["result"] is None for s in withheld)
    # the path stops at the withheld answer: which question came next would tell it
    assert body["triage"]["path"][-1].get("withheld") and len(withheld) == 1
    # The health team of the same situation, and the DAC, see everything.
    csapa = client.get(f"/api/v1/situations/{sid}",
                       headers=auth.token("bob@csapa.test")).get_json()
    assert csapa["intake"]["psychiatric_disorder"] == "diagnosed"
    assert csapa["intake_withheld_fields"] == []
    own = client.get(f"/api/v1/situations/{sid}", headers=coordinator).get_json()
    assert own["intake"]["substances"] == ["alcohol"] and own["intake_withheld_fields"] == []


def test_the_page_tells_the_housing_partner_what_is_withheld_without_showing_it(
        client, auth, partnership, coordinator, situation, person_id):
    sid, _ = _triaged_and_shared(client, coordinator, situation, partnership, person_id,
                                 covers_health_details=False)
    auth.login("chloe@siao.test")
    page = client.get(f"/situations/{sid}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Diagnostiqué" not in html and "Alcool" not in html.replace("Alcool et", "")
    assert "Troubles psychiques" not in html and "Addictions" not in html
    assert "ne sont pas affichées" in html
    assert "Information de santé non partagée avec votre organisation" in html
    assert "Menacé" in html  # the housing status is there


def test_a_consent_covering_health_details_shows_them_until_it_is_revoked(
        client, auth, partnership, coordinator, situation, person_id):
    sid, consent = _triaged_and_shared(client, coordinator, situation, partnership,
                                       person_id, covers_health_details=True)
    siao = auth.token("chloe@siao.test")
    body = client.get(f"/api/v1/situations/{sid}", headers=siao).get_json()
    assert body["intake"]["psychiatric_disorder"] == "diagnosed"
    assert body["intake_withheld_fields"] == []
    # A narrower consent replaces it: the situation stays visible, the details go.
    client.post(f"/api/v1/persons/{person_id}/consents/{consent['id']}/revoke", json={},
                headers=coordinator)
    client.post(f"/api/v1/persons/{person_id}/consents", json={
        "kind": "consent", "organisation_id": partnership["siao"].id}, headers=coordinator)
    body = client.get(f"/api/v1/situations/{sid}", headers=siao).get_json()
    assert "psychiatric_disorder" not in body["intake"]


def test_only_a_consent_can_cover_health_details(client, coordinator, person_id):
    for payload in ({"kind": "information", "method": "oral", "covers_health_details": True},
                    {"kind": "opposition", "covers_health_details": True}):
        refused = client.post(f"/api/v1/persons/{person_id}/consents", json=payload,
                              headers=coordinator)
        assert refused.status_code == 422
        assert "covers_health_details" in refused.get_json()["error"]["details"]["fields"]
    wrong_type = client.post(f"/api/v1/persons/{person_id}/consents", json={
        "kind": "information", "method": "oral", "covers_health_details": "yes"},
        headers=coordinator)
    assert wrong_type.status_code == 422


def test_the_intake_schema_marks_the_health_details(client, coordinator):
    schema = client.get("/api/v1/intake/schema", headers=coordinator).get_json()
    marked = {name for name, prop in schema["properties"].items()
              if prop.get("x-health-detail")}
    assert marked >= HEALTH_FIELDS and "housing_status" not in marked
    assert "psychiatric" in schema["properties"]["domains"]["x-health-detail-values"]


def test_the_synthesis_pdf_follows_the_same_rule(client, auth, partnership, coordinator,
                                                 situation, person_id):
    from tests.conftest import pdf_text

    sid, _ = _triaged_and_shared(client, coordinator, situation, partnership, person_id,
                                 covers_health_details=False)
    texts = {}
    for email in ("chloe@siao.test", "bob@csapa.test"):
        auth.login(email)
        response = client.get(f"/situations/{sid}/synthese.pdf")
        assert response.status_code == 200
        texts[email] = pdf_text(response.data)
        auth.logout()
    assert "Logement" in texts["chloe@siao.test"]
    assert "Troubles psychiques" not in texts["chloe@siao.test"]
    assert "Troubles psychiques" in texts["bob@csapa.test"]


def test_free_texts_that_may_tell_a_diagnosis_stay_with_the_health_team(
        client, auth, partnership, coordinator, situation, person_id):
    """The request reason and a rupture's nature and description may tell a diagnosis: the
    housing partner learns that a rupture happened and when, not what; the organisation
    that declared a rupture reads it back; the CSAPA reads everything."""
    sid, _ = _triaged_and_shared(client, coordinator, situation, partnership, person_id,
                                 covers_health_details=False)
    by_dac = client.post(f"/api/v1/situations/{sid}/ruptures", json={
        "occurred_on": "2026-01-10", "type": "hospital_discharge_without_follow_up",
        "description": "Sorti du CH sans rendez-vous CMP ni relais addictologie"},
        headers=coordinator).get_json()
    siao = auth.token("chloe@siao.test")
    by_siao = client.post(f"/api/v1/situations/{sid}/ruptures", json={
        "occurred_on": "2026-01-12", "type": "no_housing_at_discharge",
        "description": "Pas de place en CHRS ce soir-là"}, headers=siao).get_json()
    body = client.get(f"/api/v1/situations/{sid}", headers=siao).get_json()
    assert "request_reason" not in body["intake"]
    listed = {r["id"]: r for r in client.get(f"/api/v1/situations/{sid}/ruptures",
                                             headers=siao).get_json()["items"]}
    assert listed[by_dac["id"]]["description"] is None
    assert listed[by_dac["id"]]["details_withheld"] is True
    assert listed[by_dac["id"]]["type"] is None and listed[by_dac["id"]]["type_label"] is None
    assert listed[by_dac["id"]]["occurred_on"] == "2026-01-10"
    assert listed[by_siao["id"]]["type"] == "no_housing_at_discharge"
    # how a rupture was repaired is told by those who know what broke
    refused = client.post(f"/api/v1/ruptures/{by_dac['id']}/resolve", json={
        "resolved_on": "2026-01-20", "resolution": "Relais pris"}, headers=siao)
    assert refused.status_code == 409
    assert listed[by_siao["id"]]["description"] == "Pas de place en CHRS ce soir-là"
    single = client.get(f"/api/v1/ruptures/{by_dac['id']}", headers=siao).get_json()
    assert single["description"] is None and single["type"] is None
    fhir = client.get(f"/api/v1/situations/{sid}/fhir", headers=siao).get_data(as_text=True)
    for secret in ("relais addictologie", "Alcool et troubles",
                   "hospital_discharge_without_follow_up", "Sortie d'hospitalisation"):
        assert secret not in fhir
    auth.login("chloe@siao.test")
    page = client.get(f"/situations/{sid}").get_data(as_text=True)
    assert "relais addictologie" not in page and "Alcool et troubles" not in page
    assert "Sortie d'hospitalisation" not in page
    assert "Nature et précisions réservées à l'équipe de soins" in page
    assert "Pas de place en CHRS ce soir-là" in page  # its own declaration
    auth.logout()
    csapa = auth.token("bob@csapa.test")
    listed = {r["id"]: r for r in client.get(f"/api/v1/situations/{sid}/ruptures",
                                             headers=csapa).get_json()["items"]}
    assert listed[by_dac["id"]]["description"].startswith("Sorti du CH")


def test_meeting_notes_and_resolutions_stay_with_the_health_team(client, auth, partnership,
                                                                 personas):
    """What a meeting said of a situation and how a rupture was resolved may tell a
    diagnosis: the SIAO (consent without health details) reads neither the notes, nor the
    decision, nor the reasons' details, nor the CSAPA's action, in the agenda API, the
    meeting page, the agenda PDF, the FHIR export and the history; it reads its own action
    in full. The CSAPA reads everything."""
    from tests.integration.journeys import situation_through_a_meeting

    journey = situation_through_a_meeting(client, auth, partnership)
    coordinator = auth.token("alice@dac11.test")
    resolved = client.post(f"/api/v1/ruptures/{journey.rupture_id}/resolve", json={
        "resolved_on": date.today().isoformat(),
        "resolution": "Admission en CHRS après avis du psychiatre"}, headers=coordinator)
    assert resolved.status_code == 200, resolved.get_json()
    siao, csapa = auth.token("chloe@siao.test"), auth.token("bob@csapa.test")
    agenda = client.get(f"/api/v1/meetings/{journey.meeting_id}/agenda",
                        headers=siao).get_json()
    item = next(i for i in agenda["items"] if i["id"] == journey.item_id)
    assert item["notes"] is None and item["decision"] is None
    assert item["discussion_withheld"] is True
    assert all(r["detail"] is None for r in item["reasons"])
    assert agenda["only_shared_situations"] is True and "hidden_items" not in agenda
    fhir = client.get(f"/api/v1/situations/{journey.situation_id}/fhir",
                      headers=siao).get_data(as_text=True)
    for secret in ("Alcool, logement", "avis du psychiatre", "Coordination : CSAPA",
                   "Rendez-vous CSAPA", "trop psy", "admission_refused_too_psychiatric"):
        assert secret not in fhir
    assert "Demande SIAO" in fhir  # its own action
    # the care services the situation is shared with tell the person's care too
    assert "CSAPA de l'Aude" not in fhir
    situation = client.get(f"/api/v1/situations/{journey.situation_id}",
                           headers=siao).get_json()
    assert {s["organisation_name"] for s in situation["shared_with"]} == {"DAC 11", "SIAO 11"}
    assert situation["shared_with_withheld"] is True
    # who asked may name a care service too: the role only
    assert set(situation["requester"]) <= {"role"}
    auth.login("chloe@siao.test")
    page = client.get(f"/reunions/{journey.meeting_id}").get_data(as_text=True)
    assert "Coordination : CSAPA" not in page and "réservé à l'équipe de soins" in page
    from tests.conftest import pdf_text
    agenda_pdf = pdf_text(client.get(f"/reunions/{journey.meeting_id}/ordre-du-jour.pdf").data)
    assert "Alcool" not in agenda_pdf and "trop psy" not in agenda_pdf
    situation_page = client.get(f"/situations/{journey.situation_id}").get_data(as_text=True)
    # (the declaration form lists every rupture type: look at the table, not the page)
    assert "Coordination : CSAPA" not in situation_page
    assert "Nature et précisions réservées à l'équipe de soins" in situation_page
    auth.logout()
    situation = client.get(f"/api/v1/situations/{journey.situation_id}",
                           headers=siao).get_json()
    assert not any("psychiatre" in (h["reason"] or "") for h in situation["history"])
    health_team = client.get(f"/api/v1/meetings/{journey.meeting_id}/agenda",
                             headers=csapa).get_json()
    assert next(i for i in health_team["items"]
                if i["id"] == journey.item_id)["notes"] == "Alcool, logement"
    assert "Alcool, logement" in client.get(f"/api/v1/situations/{journey.situation_id}/fhir",
                                            headers=csapa).get_data(as_text=True)
