"""Persons in the browser's forms: the duplicate warning before creation, typed values kept,
consents, edits that collide, merges."""

import pytest
from sqlalchemy import func, select

from coordination.models import Person, PersonMerge
from tests.conftest import csrf_token

FORM = {"birth_name": "LEFEVRE", "birth_first_names": "Jean Pierre", "birth_date": "1971-03-04",
        "sex": "M", "identity_status": "provisoire", "legal_protection": "none",
        "commune_insee": "11069"}


def post(client, path, form_path=None, csrf_name="csrf_token", **fields):
    return client.post(path, data={csrf_name: csrf_token(client, form_path or path),
                                   **fields})


@pytest.fixture
def coordinator(client, auth, personas):
    auth.login(personas["coordinator"].email)
    return client


def count(db_session):
    return db_session.scalar(select(func.count()).select_from(Person))


def test_a_coordinator_creates_a_person_from_the_form(coordinator, db_session):
    response = post(coordinator, "/personnes/nouvelle", **FORM)
    assert response.status_code == 302
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "LEFEVRE" in page and "Identité provisoire" in page
    assert "doit être informée avant tout partage" in page


def test_the_duplicate_is_shown_side_by_side_before_anything_is_created(coordinator,
                                                                        db_session):
    post(coordinator, "/personnes/nouvelle", **FORM)
    before = count(db_session)
    response = post(coordinator, "/personnes/nouvelle", **{
        **FORM, "birth_name": "Lefèvre", "birth_first_names": "Jean-Pierre",
        "birth_date": "1971-04-03"})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Doublon possible" in page and "Fiche n°" in page
    assert 'value="Lefèvre"' in page  # what was typed is kept
    # the names are the same once accents and hyphens are set aside; the swapped day and
    # month are marked as a difference
    table = page.split("Doublon possible")[1].split("</table>")[0]
    assert table.count('class="differs"') == 1 and "04/03/1971" in table
    assert count(db_session) == before
    forced = post(coordinator, "/personnes/nouvelle", **{
        **FORM, "birth_name": "Lefèvre", "birth_first_names": "Jean-Pierre",
        "birth_date": "1971-04-03", "force": "y", "force_reason": "Homonyme vérifié"})
    assert forced.status_code == 302 and count(db_session) == before + 1


def test_invalid_fields_keep_every_typed_value_and_name_the_problem(coordinator):
    response = post(coordinator, "/personnes/nouvelle", **{
        **FORM, "birth_date": "2999-01-01", "commune_insee": "ABC", "phone": "04 68 00 00 00"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "dans le futur" in page and "Commune « ABC » inconnue" in page
    assert 'value="04 68 00 00 00"' in page and 'value="ABC"' in page


def test_information_and_consent_recorded_from_the_person_page(coordinator, db_session,
                                                               partnership):
    location = post(coordinator, "/personnes/nouvelle", **FORM).headers["Location"]
    person_path = location.split("?")[0]
    post(coordinator, f"{person_path}/consentements", person_path, "information-csrf_token",
         kind_prefix="information", **{"information-kind": "information",
                                       "information-method": "oral"})
    post(coordinator, f"{person_path}/consentements", person_path, "consent-csrf_token",
         kind_prefix="consent", **{"consent-kind": "consent",
                                   "consent-organisation_id": str(partnership["siao"].id),
                                   "consent-scope": "Demande SIAO"})
    response = coordinator.get(person_path)
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[page.find("<main"):][:500]
    assert "Information délivrée" in page and "Demande SIAO" in page
    siao_row = page.split("<td>SIAO 11</td>")[1].split("</tr>")[0]
    assert "Possible" in siao_row


def test_a_consent_without_organisation_is_refused_with_a_message(coordinator):
    person_path = post(coordinator, "/personnes/nouvelle", **FORM).headers["Location"]
    response = post(coordinator, f"{person_path}/consentements", person_path,
                    "consent-csrf_token", kind_prefix="consent",
                    **{"consent-kind": "consent"})
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert "Choisissez l&#39;organisation" in page or "Choisissez l'organisation" in page


def test_two_coordinators_editing_the_same_identity_cannot_overwrite_each_other(
        coordinator, app, personas, db_session):
    from tests.conftest import Auth

    person_path = post(coordinator, "/personnes/nouvelle", **FORM).headers["Location"]
    other = app.test_client()
    Auth(other).login(personas["coordinator"].email)
    edit = f"{person_path}/modifier"
    first = post(coordinator, edit, **{**FORM, "phone": "0600000001", "version": "1"})
    assert first.status_code == 302
    second = post(other, edit, **{**FORM, "phone": "0600000002", "version": "1"})
    assert second.status_code == 409
    assert "modifié cette personne entre-temps" in second.get_data(as_text=True)
    db_session.expire_all()
    assert db_session.scalar(select(Person.phone)) == "0600000001"


def test_merge_from_the_page_and_undo_from_the_admin_list(coordinator, app, personas,
                                                          db_session):
    from tests.conftest import Auth

    a = post(coordinator, "/personnes/nouvelle", **FORM).headers["Location"].split("/")[-1]
    b = post(coordinator, "/personnes/nouvelle", **{
        **FORM, "birth_name": "Lefebvre", "force": "y",
        "force_reason": "à vérifier"}).headers["Location"].split("/")[-1]
    found = coordinator.get(f"/personnes/{a}?doublons=1").get_data(as_text=True)
    assert f"/personnes/{a}/fusion/{b}" in found
    merge_path = f"/personnes/{a}/fusion/{b}"
    response = post(coordinator, merge_path, survivor_id=a, reason="CNI vérifiée")
    assert response.status_code == 302
    assert coordinator.get(f"/personnes/{b}").headers["Location"] == f"/personnes/{a}"
    admin = app.test_client()
    Auth(admin).login(personas["admin"].email)
    listing = admin.get("/personnes/fusions").get_data(as_text=True)
    assert "CNI vérifiée" in listing
    merge_id = db_session.scalar(select(func.max(PersonMerge.id)))
    undone = post(admin, f"/personnes/fusions/{merge_id}/annulation", "/personnes/fusions")
    assert undone.status_code == 302
    assert coordinator.get(f"/personnes/{b}").status_code == 200


@pytest.mark.parametrize("persona", ["csapa_partner", "manager"])
def test_partners_and_managers_do_not_reach_the_persons_pages(client, auth, personas,
                                                             persona):
    auth.login(personas[persona].email)
    assert client.get("/personnes/").status_code == 403
    assert client.get("/personnes/nouvelle").status_code == 403


def test_the_sex_is_never_chosen_for_the_coordinator(client, auth, personas):
    auth.login("alice@dac11.test")
    page = client.get("/personnes/nouvelle").get_data(as_text=True)
    assert "— à choisir —" in page
    refused = post(client, "/personnes/nouvelle", **{**FORM, "sex": ""})
    assert refused.status_code == 422 and "Ce champ est obligatoire" in refused.get_data(
        as_text=True)


def test_a_missing_sex_and_an_unknown_commune_are_named_together(client, auth, personas):
    auth.login("alice@dac11.test")
    refused = post(client, "/personnes/nouvelle", **{**FORM, "sex": "",
                                                     "commune_insee": "Atlantide"})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Ce champ est obligatoire" in page and "Commune « Atlantide » inconnue" in page


def test_a_new_person_starts_from_the_name_searched(coordinator):
    page = coordinator.get("/personnes/nouvelle?q=Karim+Haddad").get_data(as_text=True)
    assert 'value="Haddad"' in page and 'value="Karim"' in page
