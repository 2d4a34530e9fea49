"""Persons through the JSON API: creation with duplicate check, validation, edits with
versions, search, information and consent, merge and its undoing."""

import pytest
from sqlalchemy import select

from coordination.models import AuditEvent, Person

JEAN_PIERRE = {"birth_name": "LEFEVRE", "birth_first_names": "Jean Pierre",
               "birth_date": "1971-04-03", "sex": "M", "commune_insee": "11069"}


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


def create(client, headers, **fields):
    return client.post("/api/v1/persons", json={**JEAN_PIERRE, **fields}, headers=headers)


def test_a_coordinator_creates_a_person_and_reads_it_back(client, coordinator):
    response = create(client, coordinator, used_name="Lefèvre", phone="06 12 34 56 78")
    assert response.status_code == 201
    body = response.get_json()
    assert body["identity_status"] == "provisoire" and body["version"] == 1
    assert body["first_birth_first_name"] == "Jean"
    fetched = client.get(f"/api/v1/persons/{body['id']}", headers=coordinator)
    assert fetched.status_code == 200 and fetched.headers["ETag"] == '"1"'
    assert fetched.get_json()["phone"] == "06 12 34 56 78"


def test_the_issue_example_answers_409_with_the_candidate_before_creating(client,
                                                                         coordinator,
                                                                         db_session):
    existing = create(client, coordinator, birth_date="1971-03-04").get_json()
    response = create(client, coordinator, birth_name="Lefèvre",
                      birth_first_names="Jean-Pierre", birth_date="1971-04-03")
    assert response.status_code == 409
    body = response.get_json()
    assert body["error"]["code"] == "duplicate_person"
    candidates = body["candidates"]
    assert candidates == body["error"]["details"]["candidates"]
    assert candidates[0]["id"] == existing["id"] and candidates[0]["score"] > 0.9
    assert db_session.scalar(select(Person).where(Person.birth_date.is_not(None))
                             .order_by(Person.id.desc())).id == existing["id"]


def test_force_with_a_reason_creates_anyway_and_the_reason_is_recorded(client, coordinator,
                                                                      db_session):
    create(client, coordinator)
    refused = create(client, coordinator, birth_first_names="Jean-Pierre", force=True)
    assert refused.status_code == 422 and "reason" in refused.get_json()["error"]["details"][
        "fields"]
    forced = create(client, coordinator, birth_first_names="Jean-Pierre", force=True,
                    reason="Homonyme confirmé par le CMP : autre personne, même date")
    assert forced.status_code == 201
    person = db_session.get(Person, forced.get_json()["id"])
    assert person.duplicate_override_reason.startswith("Homonyme")
    assert db_session.scalar(select(AuditEvent).where(
        AuditEvent.action == "duplicate_override")) is not None


@pytest.mark.parametrize(("field", "value"), [
    ("birth_date", "2999-01-01"), ("birth_date", "1890-05-05"), ("birth_date", "03/04/1971"),
    ("sex", "X"), ("commune_insee", "1106"), ("birth_place_insee", "ABCDE"),
    ("birth_country_insee", "12345"), ("ins", "295109912611194"), ("birth_name", ""),
    ("legal_protection", "prison"), ("identity_status", "certaine"),
])
def test_bad_fields_are_422_naming_the_field(client, coordinator, field, value):
    response = create(client, coordinator, **{field: value})
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_a_qualified_identity_requires_its_ins(client, coordinator):
    response = create(client, coordinator, identity_status="qualifiee")
    assert response.status_code == 422
    ok = create(client, coordinator, identity_status="qualifiee", ins="2 95 10 99 126 111 93",
                birth_name="Durand", birth_first_names="Paule", birth_date="1995-10-02",
                sex="F")
    assert ok.status_code == 201 and ok.get_json()["ins"] == "295109912611193"


INS_WOMAN_1995_10 = "295109912611193"
DURAND = {"birth_name": "Durand", "birth_first_names": "Paule", "birth_date": "1995-10-02",
          "sex": "F"}


def test_the_same_ins_twice_is_a_duplicate(client, coordinator):
    create(client, coordinator, ins=INS_WOMAN_1995_10, identity_status="recuperee", **DURAND)
    again = create(client, coordinator, ins=INS_WOMAN_1995_10, birth_name="Autre",
                   birth_first_names="Nom", birth_date="1995-10-02", sex="F", force=True,
                   reason="x")
    assert again.status_code == 409


def test_another_dacs_record_with_the_same_ins_stays_invisible(
        client, auth, coordinator, make_organisation, make_user):
    """Two DACs of one region each keep their own file: the second one neither learns that
    the first follows this person nor sees its record; each refuses its own duplicates."""
    from coordination.domain.accounts import OrganisationType, Role

    first = create(client, coordinator, ins=INS_WOMAN_1995_10, identity_status="recuperee",
                   **DURAND)
    assert first.status_code == 201
    make_user("yann@dac34.test", make_organisation("DAC 34", OrganisationType.DAC),
              Role.COORDINATOR)
    other_dac = auth.token("yann@dac34.test")
    own = create(client, other_dac, ins=INS_WOMAN_1995_10, identity_status="recuperee",
                 **DURAND)
    assert own.status_code == 201, own.get_json()
    assert own.get_json()["id"] != first.get_json()["id"]
    assert create(client, other_dac, ins=INS_WOMAN_1995_10, identity_status="recuperee",
                  **DURAND).status_code == 409
    assert client.get(f"/api/v1/persons/{first.get_json()['id']}",
                      headers=other_dac).status_code == 404


def test_an_ins_that_contradicts_sex_or_birth_date_is_422(client, coordinator):
    assert create(client, coordinator, ins=INS_WOMAN_1995_10).status_code == 422
    response = create(client, coordinator, ins=INS_WOMAN_1995_10,
                      **{**DURAND, "birth_date": "1996-10-02"})
    assert response.status_code == 422
    assert "année" in response.get_json()["error"]["details"]["fields"]["ins"][0]


def test_a_refused_edit_changes_nothing(client, coordinator, db_session):
    person = create(client, coordinator, **DURAND).get_json()
    response = client.patch(f"/api/v1/persons/{person['id']}",
                            json={"identity_status": "qualifiee", "phone": "0900000000"},
                            headers=coordinator)
    assert response.status_code == 422
    db_session.expire_all()
    stored = db_session.get(Person, person["id"])
    assert (stored.identity_status.value, stored.phone, stored.version) == ("provisoire",
                                                                           None, 1)


def test_removing_the_ins_of_a_qualified_identity_makes_it_provisional(client, coordinator):
    person = create(client, coordinator, identity_status="qualifiee", ins=INS_WOMAN_1995_10,
                    **DURAND).get_json()
    body = client.patch(f"/api/v1/persons/{person['id']}", json={"ins": ""},
                        headers=coordinator).get_json()
    assert body["identity_status"] == "provisoire" and body["ins"] is None
    assert "matricule INS" in body["identity_history"][-1]["reason"]


def test_an_edit_cannot_give_a_second_person_the_same_ins(client, coordinator):
    create(client, coordinator, ins=INS_WOMAN_1995_10, identity_status="recuperee", **DURAND)
    other = create(client, coordinator, birth_name="Autre", birth_first_names="Claire",
                   birth_date="1995-10-20", sex="F").get_json()
    response = client.patch(f"/api/v1/persons/{other['id']}", json={"ins": INS_WOMAN_1995_10},
                            headers=coordinator)
    assert response.status_code == 422 and "déjà" in response.get_json()["error"]["details"][
        "fields"]["ins"][0]


def test_editing_a_strict_trait_of_a_validated_identity_lowers_it_and_says_why(
        client, coordinator):
    person = create(client, coordinator, identity_status="validee").get_json()
    response = client.patch(f"/api/v1/persons/{person['id']}", json={"birth_name": "LEFEBVRE"},
                            headers={**coordinator, "If-Match": '"1"'})
    body = response.get_json()
    assert response.status_code == 200
    assert body["identity_status"] == "provisoire" and body["version"] == 2
    assert "nom de naissance" in body["identity_history"][-1]["reason"]


def test_editing_a_contact_keeps_the_status(client, coordinator):
    person = create(client, coordinator, identity_status="validee").get_json()
    body = client.patch(f"/api/v1/persons/{person['id']}", json={"phone": "0468000000"},
                        headers=coordinator).get_json()
    assert body["identity_status"] == "validee"


def test_a_stale_version_is_409_with_the_current_one(client, coordinator):
    person = create(client, coordinator).get_json()
    client.patch(f"/api/v1/persons/{person['id']}", json={"phone": "04 68 11 22 01"},
                 headers={**coordinator, "If-Match": '"1"'})
    stale = client.patch(f"/api/v1/persons/{person['id']}", json={"phone": "04 68 11 22 02"},
                         headers={**coordinator, "If-Match": '"1"'})
    assert stale.status_code == 409
    assert stale.get_json()["error"]["details"]["current_version"] == 2


def test_search_ignores_accents_and_case_and_finds_swapped_birth_dates(client, coordinator):
    create(client, coordinator, birth_name="Lefèvre", used_name="Martin")
    hits = client.get("/api/v1/persons?q=lefevre jean", headers=coordinator).get_json()
    assert hits["total"] == 1
    assert client.get("/api/v1/persons?q=MARTIN", headers=coordinator).get_json()["total"] == 1
    swapped = client.get("/api/v1/persons?birth_date=1971-03-04", headers=coordinator)
    assert swapped.get_json()["total"] == 1
    assert client.get("/api/v1/persons?q=Dupont", headers=coordinator).get_json()["total"] == 0
    bad = client.get("/api/v1/persons?birth_date=hier", headers=coordinator)
    assert bad.status_code == 422


@pytest.mark.parametrize("persona", ["csapa_partner", "manager"])
def test_partners_and_managers_cannot_read_or_create_persons(client, auth, personas,
                                                            coordinator, persona):
    person = create(client, coordinator).get_json()
    headers = auth.token(personas[persona].email)
    assert client.get(f"/api/v1/persons/{person['id']}", headers=headers).status_code in (403,
                                                                                           404)
    assert create(client, headers, birth_name="X").status_code == 403


def test_an_unknown_person_is_404(client, coordinator):
    assert client.get("/api/v1/persons/999999", headers=coordinator).status_code == 404


def test_reading_a_person_is_audited(client, coordinator, db_session, personas):
    person = create(client, coordinator).get_json()
    client.get(f"/api/v1/persons/{person['id']}", headers=coordinator)
    read = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "read",
                                                       AuditEvent.object_type == "persons")
                              ).all()
    assert read and read[-1].object_id == str(person["id"])
    assert read[-1].actor_user_id == personas["coordinator"].id


# --- information and consent -----------------------------------------------------------------

def consent(client, headers, person_id, **fields):
    return client.post(f"/api/v1/persons/{person_id}/consents", json=fields, headers=headers)


def test_information_then_consent_to_a_housing_organisation(client, coordinator, partnership,
                                                            db_session):
    from coordination.services.persons import may_share_with

    person_id = create(client, coordinator).get_json()["id"]
    person = db_session.get(Person, person_id)
    siao, csapa = partnership["siao"], partnership["csapa"]
    assert not may_share_with(db_session, person, csapa).allowed  # not yet informed
    assert consent(client, coordinator, person_id, kind="information",
                   method="oral").status_code == 201
    assert may_share_with(db_session, person, csapa).allowed
    assert not may_share_with(db_session, person, siao).allowed
    given = consent(client, coordinator, person_id, kind="consent", organisation_id=siao.id,
                    scope="Demande d'hébergement")
    assert given.status_code == 201
    assert may_share_with(db_session, person, siao).allowed
    revoked = client.post(f"/api/v1/persons/{person_id}/consents/{given.get_json()['id']}"
                          "/revoke", json={"reason": "Retrait oral"}, headers=coordinator)
    assert revoked.status_code == 200 and revoked.get_json()["active"] is False
    db_session.expire_all()
    assert not may_share_with(db_session, person, siao).allowed


def test_a_person_who_opposed_sharing_cannot_be_shared_with_anyone(client, coordinator,
                                                                   partnership, db_session):
    from coordination.services.persons import may_share_with

    person_id = create(client, coordinator).get_json()["id"]
    consent(client, coordinator, person_id, kind="information", method="written")
    consent(client, coordinator, person_id, kind="consent",
            organisation_id=partnership["siao"].id)
    consent(client, coordinator, person_id, kind="opposition", note="Refuse tout partage")
    person = db_session.get(Person, person_id)
    for organisation in partnership.values():
        assert not may_share_with(db_session, person, organisation).allowed


@pytest.mark.parametrize(("fields", "bad"), [
    ({"kind": "blessing"}, "kind"),
    ({"kind": "information"}, "method"),
    ({"kind": "consent"}, "organisation_id"),
    ({"kind": "information", "method": "oral", "recorded_on": "2999-01-01"}, "recorded_on"),
])
def test_bad_consent_records_are_422_naming_the_field(client, coordinator, fields, bad):
    person_id = create(client, coordinator).get_json()["id"]
    response = consent(client, coordinator, person_id, **fields)
    assert response.status_code == 422
    assert bad in response.get_json()["error"]["details"]["fields"]


def test_consent_is_for_non_health_organisations_only(client, coordinator, partnership):
    person_id = create(client, coordinator).get_json()["id"]
    response = consent(client, coordinator, person_id, kind="consent",
                       organisation_id=partnership["csapa"].id)
    assert response.status_code == 422


# --- merge -----------------------------------------------------------------------------------

def test_merge_moves_consents_keeps_a_tombstone_and_an_admin_can_undo_it(client, auth,
                                                                         coordinator,
                                                                         personas):
    survivor = create(client, coordinator).get_json()["id"]
    merged = create(client, coordinator, birth_name="Lefebvre", force=True,
                    reason="saisi en double").get_json()["id"]
    consent(client, coordinator, merged, kind="information", method="oral")
    response = client.post(f"/api/v1/persons/{merged}/merge",
                           json={"into": survivor, "reason": "Même personne (CNI vue)"},
                           headers=coordinator)
    assert response.status_code == 201
    merge_id = response.get_json()["id"]
    old_link = client.get(f"/api/v1/persons/{merged}", headers=coordinator).get_json()
    assert old_link["id"] == survivor and old_link["merged_from"] == merged
    assert [c["kind"] for c in old_link["consents"]] == ["information"]
    assert client.post(f"/api/v1/person-merges/{merge_id}/undo",
                       headers=coordinator).status_code == 403
    admin = auth.token(personas["admin"].email)
    undone = client.post(f"/api/v1/person-merges/{merge_id}/undo", headers=admin)
    assert undone.status_code == 200
    restored = client.get(f"/api/v1/persons/{merged}", headers=coordinator).get_json()
    assert restored["id"] == merged and len(restored["consents"]) == 1
    assert client.get(f"/api/v1/persons/{survivor}",
                      headers=coordinator).get_json()["consents"] == []
    again = client.post(f"/api/v1/person-merges/{merge_id}/undo", headers=admin)
    assert again.status_code == 409


def test_merging_into_itself_or_into_a_tombstone_is_refused_with_a_reason(client,
                                                                          coordinator):
    a = create(client, coordinator).get_json()["id"]
    b = create(client, coordinator, birth_name="Lefebvre", force=True, reason="x").get_json()[
        "id"]
    c = create(client, coordinator, birth_name="Lefeuvre", force=True, reason="x").get_json()[
        "id"]
    itself = client.post(f"/api/v1/persons/{a}/merge", json={"into": a, "reason": "x"},
                         headers=coordinator)
    assert itself.status_code == 409 and "elle-même" in itself.get_json()["error"]["message"]
    client.post(f"/api/v1/persons/{b}/merge", json={"into": a, "reason": "doublon"},
                headers=coordinator)
    into_tombstone = client.post(f"/api/v1/persons/{c}/merge", json={"into": b, "reason": "x"},
                                 headers=coordinator)
    assert into_tombstone.status_code == 409
    assert f"fiche n° {a}" in into_tombstone.get_json()["error"]["message"]
    no_reason = client.post(f"/api/v1/persons/{c}/merge", json={"into": a},
                            headers=coordinator)
    assert no_reason.status_code == 422


def test_duplicates_on_demand_lists_candidates_for_an_existing_person(client, coordinator):
    a = create(client, coordinator).get_json()["id"]
    create(client, coordinator, birth_name="Lefèbvre", birth_date="1971-03-04", force=True,
           reason="à vérifier")
    found = client.get(f"/api/v1/persons/{a}/duplicates", headers=coordinator).get_json()
    assert len(found["items"]) == 1 and found["items"][0]["scores"]["birth_date"] == 0.9


def test_two_persons_with_different_ins_cannot_be_merged(client, coordinator):
    a = create(client, coordinator, ins=INS_WOMAN_1995_10, identity_status="recuperee",
               **DURAND).get_json()["id"]
    b = create(client, coordinator, ins="2 95 10 99 126 112 92", identity_status="recuperee",
               **{**DURAND, "birth_first_names": "Paula"}, force=True,
               reason="INS différent").get_json()
    assert "id" in b, b
    response = client.post(f"/api/v1/persons/{b['id']}/merge",
                           json={"into": a, "reason": "doublon ?"}, headers=coordinator)
    assert response.status_code == 409 and "INS" in response.get_json()["error"]["message"]


def test_undoing_a_merge_whose_survivor_was_merged_since_is_refused(client, auth, personas,
                                                                    coordinator):
    a = create(client, coordinator).get_json()["id"]
    b = create(client, coordinator, birth_name="Lefebvre", force=True, reason="x").get_json()[
        "id"]
    c = create(client, coordinator, birth_name="Lefeuvre", force=True, reason="x").get_json()[
        "id"]
    consent(client, coordinator, a, kind="opposition")
    first = client.post(f"/api/v1/persons/{a}/merge", json={"into": b, "reason": "doublon"},
                        headers=coordinator).get_json()["id"]
    client.post(f"/api/v1/persons/{b}/merge", json={"into": c, "reason": "doublon"},
                headers=coordinator)
    admin = auth.token(personas["admin"].email)
    response = client.post(f"/api/v1/person-merges/{first}/undo", headers=admin)
    assert response.status_code == 409 and "annulez d'abord" in response.get_json()["error"][
        "message"]


def test_huge_ids_are_404_or_422_never_500(client, coordinator):
    huge = 2**70
    assert client.get(f"/api/v1/persons/{huge}", headers=coordinator).status_code == 404
    a = create(client, coordinator).get_json()["id"]
    response = client.post(f"/api/v1/persons/{a}/merge", json={"into": huge, "reason": "x"},
                           headers=coordinator)
    assert response.status_code == 422


def test_an_information_dated_before_birth_is_refused(client, coordinator):
    person_id = create(client, coordinator).get_json()["id"]
    response = consent(client, coordinator, person_id, kind="information", method="oral",
                       recorded_on="1950-01-01")
    assert response.status_code == 422


def test_searching_records_a_read_for_each_person_shown(client, coordinator, db_session):
    person_id = create(client, coordinator).get_json()["id"]
    client.get("/api/v1/persons?q=lefevre", headers=coordinator)
    reads = db_session.scalars(select(AuditEvent).where(
        AuditEvent.action == "read", AuditEvent.detail == "recherche")).all()
    assert [r.object_id for r in reads] == [str(person_id)]


def test_a_commune_typed_by_name_becomes_its_code(client, coordinator, db_session):
    from directory import reference

    reference.load_communes(db_session, {"11"})
    created = create(client, coordinator, commune_insee="Narbonne")
    assert created.status_code == 201 and created.get_json()["commune_insee"] == "11262"
    unknown = create(client, coordinator, birth_name="AUTRE", commune_insee="Atlantide")
    assert unknown.status_code == 422
    assert "Atlantide" in unknown.get_json()["error"]["details"]["fields"]["commune_insee"][0]


def test_only_a_consent_names_an_organisation(client, coordinator):
    person = create(client, coordinator).get_json()
    for organisation_id in ("x", 1):
        refused = client.post(f"/api/v1/persons/{person['id']}/consents", json={
            "kind": "information", "method": "oral", "organisation_id": organisation_id},
            headers=coordinator)
        assert refused.status_code == 422
        assert "organisation_id" in refused.get_json()["error"]["details"]["fields"]


def test_a_phone_number_must_look_like_one(client, coordinator):
    response = create(client, coordinator, phone="abc", caregiver_phone="06 12 34 56 78")
    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {"phone"}


def test_an_admin_reads_the_identity_not_the_care_around_it(client, auth, coordinator,
                                                             personas):
    person = create(client, coordinator, phone="06 12 34 56 78", gp_name="Dr Pujol").get_json()
    admin = auth.token(personas["admin"].email)
    body = client.get(f"/api/v1/persons/{person['id']}", headers=admin).get_json()
    assert body["birth_name"] == "LEFEVRE" and body["care_details_withheld"] is True
    assert body["phone"] is None and body["gp_name"] is None and body["consents"] == []
    auth.login(personas["admin"].email)
    page = client.get(f"/personnes/{person['id']}").get_data(as_text=True)
    assert "Coordonnées et entourage" not in page and "06 12 34 56 78" not in page
    coordinator_view = client.get(f"/api/v1/persons/{person['id']}", headers=coordinator)
    assert coordinator_view.get_json()["phone"] == "06 12 34 56 78"
