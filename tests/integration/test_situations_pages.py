"""The situation journey in the browser's forms: open from the person page, fill the intake
in two sittings, submit, triage and see the path, override, close; a partner's view."""

import pytest
from sqlalchemy import select

from coordination.models import Situation
from tests.conftest import csrf_token, pdf_text

PERSON = {"birth_name": "LEFEVRE", "birth_first_names": "Jean Pierre",
          "birth_date": "1971-03-04", "sex": "M", "identity_status": "provisoire",
          "legal_protection": "none"}


def post(client, path, form_path, **fields):
    return client.post(path, data={"csrf_token": csrf_token(client, form_path), **fields})


@pytest.fixture
def coordinator(client, auth, personas):
    auth.login(personas["coordinator"].email)
    return client


@pytest.fixture
def situation_path(coordinator, db_session):
    person_path = post(coordinator, "/personnes/nouvelle", "/personnes/nouvelle",
                       **PERSON).headers["Location"]
    post(coordinator, f"{person_path}/consentements", person_path, kind_prefix="information",
         **{"information-kind": "information", "information-method": "oral",
            "information-csrf_token": csrf_token(coordinator, person_path)})
    person_id = person_path.rsplit("/", 1)[1]
    response = post(coordinator, f"/situations/ouvrir/{person_id}", person_path,
                    requester_name="Dr Anne Pujol", requester_role="médecin généraliste")
    assert response.status_code == 302
    situation = db_session.scalar(select(Situation).order_by(Situation.id.desc()))
    return f"/situations/{situation.id}"


def fill(client, situation_path, section, **answers):
    path = f"{situation_path}/fiche-de-recueil?section={section}"
    page = client.get(path).get_data(as_text=True)
    version = page.split('name="version" value="')[1].split('"')[0]
    return client.post(path, data={"csrf_token": csrf_token(client, path), "version": version,
                                   **answers})


def test_the_intake_in_two_sittings_then_triage_shows_its_path(coordinator, situation_path):
    first = fill(coordinator, situation_path, "requester", requester_name="Dr Anne Pujol",
                 requester_role="gp", request_reason="Alcool, psychose, expulsion", next="1")
    assert first.status_code == 302 and first.headers["Location"].endswith("section=living")
    page = coordinator.get(situation_path).get_data(as_text=True)
    assert "Alcool, psychose, expulsion" in page and "réponse(s) requise(s)" in page
    fill(coordinator, situation_path, "living", living_situation="own_home", hospitalised="non")
    fill(coordinator, situation_path, "domains",
         domains=["psychiatric", "addiction", "housing"], substances=["alcohol"])
    fill(coordinator, situation_path, "risks", imminent_danger="non", suicide_risk="none")
    page = coordinator.get(situation_path).get_data(as_text=True)
    assert "Soumettre au logigramme" in page
    version = page.split('name="version" value="')[1].split('"')[0]
    post(coordinator, f"{situation_path}/evenements/submit_for_triage", situation_path,
         version=version)
    page = coordinator.get(situation_path).get_data(as_text=True)
    # what the logigramme proposes is shown before the coordinator decides
    assert "Le logigramme propose : <strong>Présentation à la prochaine réunion" in page
    version = page.split('name="version" value="')[1].split('"')[0]
    # an override without its reason: the form comes back as chosen, the reason by its field
    refused = post(coordinator, f"{situation_path}/logigramme", situation_path,
                   version=version, override="information", reason="")
    assert refused.status_code == 422
    refused_page = refused.get_data(as_text=True)
    assert '<option value="information" selected>' in refused_page
    assert 'id="triage-reason-errors"' in refused_page and "motif écrit" in refused_page
    response = post(coordinator, f"{situation_path}/logigramme", situation_path,
                    version=version)
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Présentation à la prochaine réunion partenariale" in page
    assert "Chemin suivi" in page and "Au moins trois domaines de complexité ?" in page
    assert "En attente de réunion" in page
    # past triage the intake is read, not edited: no field to type in, no save button
    intake = coordinator.get(f"{situation_path}/fiche-de-recueil").get_data(as_text=True)
    assert "n'est plus modifiable" in intake and '<fieldset class="plain" disabled>' in intake
    assert "Enregistrer" not in intake


def test_a_bad_entry_keeps_the_section_as_typed(coordinator, situation_path):
    response = fill(coordinator, situation_path, "supports", current_supports="12, douze",
                    current_supports_other="CMP de Carcassonne")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Aucun service de l&#39;annuaire ne s&#39;appelle « 12, douze »" in page
    assert "CMP de Carcassonne" in page
    assert 'value="12, douze"' in page  # the bad entry itself comes back as typed


def test_a_stale_intake_form_is_refused_and_says_why(coordinator, situation_path):
    path = f"{situation_path}/fiche-de-recueil?section=requester"
    fill(coordinator, situation_path, "requester", requester_name="A")
    stale = coordinator.post(path, data={"csrf_token": csrf_token(coordinator, path),
                                         "version": "1", "requester_name": "B"})
    assert stale.status_code == 409
    page = stale.get_data(as_text=True)
    assert "modifié cette situation entre-temps" in page
    # the other person's answer is shown beside this one's, which stays in the form
    conflict = page.split("Enregistré entre-temps")[1].split("</table>")[0]
    assert "<td>A</td><td>B</td>" in conflict
    assert 'value="B"' in page


def test_the_pdf_summary_is_a_pdf(coordinator, situation_path):
    response = coordinator.get(f"{situation_path}/fiche-de-recueil.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


def test_a_refused_event_shows_a_french_message(coordinator, situation_path):
    page = coordinator.get(situation_path).get_data(as_text=True)
    version = page.split('name="version" value="')[1].split('"')[0]
    response = post(coordinator, f"{situation_path}/evenements/close", situation_path,
                    version=version)
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "closure_reason" in page and "Action impossible" in page


def test_a_partner_without_share_gets_404_and_with_share_sees_it(app, coordinator,
                                                                  situation_path, personas,
                                                                  partnership):
    from tests.conftest import Auth

    partner = app.test_client()
    Auth(partner).login(personas["csapa_partner"].email)
    assert partner.get(situation_path).status_code == 404
    post(coordinator, f"{situation_path}/partages", situation_path,
         organisation_id=str(partnership["csapa"].id))
    page = partner.get(situation_path).get_data(as_text=True)
    assert "Situation n°" in page and "Passer le logigramme" not in page
    assert partner.get(f"{situation_path}/fiche-de-recueil").status_code == 403


def test_an_admin_sees_the_tree_and_an_invalid_version_publishes_nothing(client, auth,
                                                                         personas):
    import yaml

    from coordination.services.logigrammes import shipped_document

    auth.login(personas["admin"].email)
    page = client.get("/admin/logigramme").get_data(as_text=True)
    assert "Danger imminent pour la personne ou pour autrui ?" in page
    assert "Présentation à la prochaine réunion partenariale" in page
    assert "Risque suicidaire = Élevé" in page and "equals" not in page  # the tests in words
    document = shipped_document()
    document["version"] = "2027.1"
    document["nodes"]["danger"]["field"] = "astrology"
    refused = post(client, "/admin/logigramme", "/admin/logigramme",
                   document=yaml.safe_dump(document, allow_unicode=True))
    assert refused.status_code == 422 and "astrology" in refused.get_data(as_text=True)
    assert "Logigramme 2026.1" in client.get("/admin/logigramme").get_data(as_text=True)
    broken = post(client, "/admin/logigramme", "/admin/logigramme", document="a: [b")
    assert broken.status_code == 422 and "YAML illisible" in broken.get_data(as_text=True)
    document["nodes"]["danger"]["field"] = "imminent_danger"
    published = post(client, "/admin/logigramme", "/admin/logigramme",
                     document=yaml.safe_dump(document, allow_unicode=True))
    assert published.status_code == 302
    assert "Logigramme 2027.1" in client.get("/admin/logigramme").get_data(as_text=True)


def test_the_coordinator_dashboard_lists_what_needs_her(coordinator, situation_path):
    page = coordinator.get("/").get_data(as_text=True)
    situation_id = situation_path.rsplit("/", 1)[1]
    assert f'href="/situations/{situation_id}"' in page
    assert "Brouillon" in page and "À traiter" in page


def test_the_partner_dashboard_lists_the_situations_shared_with_it(app, coordinator,
                                                                   situation_path, personas,
                                                                   partnership):
    from tests.conftest import Auth

    partner = app.test_client()
    Auth(partner).login(personas["csapa_partner"].email)
    situation_id = situation_path.rsplit("/", 1)[1]
    assert f'href="/situations/{situation_id}"' not in partner.get("/").get_data(as_text=True)
    post(coordinator, f"{situation_path}/partages", situation_path,
         organisation_id=str(partnership["csapa"].id))
    assert f'href="/situations/{situation_id}"' in partner.get("/").get_data(as_text=True)


def test_the_list_filters_by_state_and_by_shared_organisation(coordinator, situation_path,
                                                              partnership):
    situation_id = situation_path.rsplit("/", 1)[1]
    link = f'href="/situations/{situation_id}"'
    assert link in coordinator.get("/situations/?etat=draft").get_data(as_text=True)
    assert link not in coordinator.get("/situations/?etat=closed").get_data(as_text=True)
    csapa = partnership["csapa"].id
    assert link not in coordinator.get(f"/situations/?partage={csapa}").get_data(as_text=True)
    post(coordinator, f"{situation_path}/partages", situation_path, organisation_id=str(csapa))
    assert link in coordinator.get(f"/situations/?partage={csapa}").get_data(as_text=True)
    assert coordinator.get("/situations/?etat=nimportequoi").status_code == 302


def test_the_pdf_names_the_triage_outcomes_in_words(coordinator, situation_path, db_session):
    from sqlalchemy import select

    from coordination.models import Situation, User
    from coordination.services import situations
    from tests.integration.test_situations_api import COMPLETE_INTAKE

    situation = db_session.get(Situation, int(situation_path.rsplit("/", 1)[1]))
    alice = db_session.scalar(select(User).where(User.email == "alice@dac11.test"))
    situations.save_intake(db_session, alice, situation, COMPLETE_INTAKE, None)
    situations.fire_event(db_session, alice, situation, "submit_for_triage")
    situations.run_triage(db_session, alice, situation)
    response = coordinator.get(f"{situation_path}/fiche-de-recueil.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = pdf_text(response.data)
    assert "prochaine r" in text and "retenue : meeting" not in text  # words, not the id
