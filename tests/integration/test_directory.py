"""The directory: shipped reference data, French search ignoring accents and case,
filters, proximity, "which CMP serves this commune", pages and API refusals."""

from datetime import date

import pytest
from sqlalchemy import func, select

from directory import reference, services
from directory.models import DirectoryService


@pytest.fixture
def aude(db_session):
    reference.load_communes(db_session, {"11"})
    reference.load_sae_hospitals(db_session)
    reference.load_demo_services(db_session)
    return db_session


@pytest.fixture
def api(client, auth, personas):
    headers = auth.token("alice@dac11.test")

    def get(path, **params):
        return client.get(path, query_string=params, headers=headers)

    return get


def names(response):
    return [item["name"] for item in response.get_json()["items"]]


def test_reference_loading_is_idempotent_and_keeps_real_hospitals_apart_from_demo(aude):
    count = aude.scalar(select(func.count()).select_from(DirectoryService))
    reference.load_sae_hospitals(aude)
    reference.load_demo_services(aude)
    assert aude.scalar(select(func.count()).select_from(DirectoryService)) == count
    carcassonne = aude.scalar(select(DirectoryService).where(
        DirectoryService.finess == "110000023"))
    assert carcassonne.name == "CH CARCASSONNE" and not carcassonne.is_demo
    assert aude.scalar(select(func.count()).where(DirectoryService.is_demo)) == 10


def test_csapa_from_lezignan_lists_the_nearest_first(aude, api):
    body = api("/api/v1/directory/services", q="csapa", near="11203").get_json()
    assert [(i["name"], i["proximity"]) for i in body["items"]][:2] == [
        ("CSAPA — antenne de Lézignan-Corbières", "même commune"),
        ("CSAPA de Narbonne", "même arrondissement")]
    assert body["total"] == 4


def test_a_commune_is_named_as_a_coordinator_says_it(aude, api):
    by_name = api("/api/v1/directory/services", q="csapa", near="lezignan corbieres")
    assert by_name.status_code == 200
    assert by_name.get_json() == api("/api/v1/directory/services", q="csapa",
                                     near="11203").get_json()
    unknown = api("/api/v1/directory/services", q="csapa", near="Atlantide")
    assert unknown.status_code == 422
    assert "inconnue" in unknown.get_json()["error"]["details"]["fields"]["near"][0]


def test_kilometres_order_services_within_a_proximity_rank_and_are_shown(aude, api):
    body = api("/api/v1/directory/services", q="csapa", near="11203").get_json()
    found = [(i["name"], i["proximity"], i["distance_km"]) for i in body["items"]]
    assert [(name, proximity) for name, proximity, _ in found] == [
        ("CSAPA — antenne de Lézignan-Corbières", "même commune"),
        ("CSAPA de Narbonne", "même arrondissement"),
        # same département both: Carcassonne is nearer, though Limoux sorts first by name
        ("CSAPA de Carcassonne", "même département"),
        ("CSAPA — antenne de Limoux", "même département")]
    kilometres = [km for _, _, km in found]
    assert kilometres[0] == 0.0 and 18 < kilometres[1] < 22
    assert 30 < kilometres[2] < 36 and 45 < kilometres[3] < 50


def test_a_service_without_coordinates_has_no_distance_and_comes_after_the_known_ones(
        aude, api):
    body = api("/api/v1/directory/services", near="11203", category="csapa,general_hospital",
               per_page="100").get_json()
    ranks = {}
    for item in body["items"]:
        ranks.setdefault(item["proximity"], []).append(item["distance_km"])
    assert any(km is None for kms in ranks.values() for km in kms)  # SAE hospitals
    for kms in ranks.values():
        known = [km for km in kms if km is not None]
        assert kms[:len(known)] == sorted(known)  # the unknown ones last in their rank
    assert api("/api/v1/directory/services", q="csapa").get_json()["items"][0][
        "distance_km"] is None  # no origin, no distance


def test_a_radius_keeps_the_services_that_close_and_those_of_the_commune(aude, api):
    assert names(api("/api/v1/directory/services", q="csapa", near="11203",
                     radius_km="25")) == ["CSAPA — antenne de Lézignan-Corbières",
                                          "CSAPA de Narbonne"]
    assert names(api("/api/v1/directory/services", q="csapa", near="11203",
                     radius_km="0")) == ["CSAPA — antenne de Lézignan-Corbières"]
    assert len(names(api("/api/v1/directory/services", q="csapa", near="11203",
                         radius_km="40,5"))) == 3
    # the hospitals have no coordinates: not known to be within 1000 km, left out, but
    # for Lézignan's own (same commune)
    everything = api("/api/v1/directory/services", near="11203", radius_km="1000",
                     per_page="100").get_json()["items"]
    unknown = [i for i in everything if i["distance_km"] is None]
    assert len(everything) - len(unknown) == 10  # the demo services
    assert unknown and all(i["commune_insee"] == "11203" for i in unknown)


def test_the_page_shows_kilometres_and_names_a_bad_radius(aude, client, auth, personas):
    auth.login("alice@dac11.test")
    page = client.get("/annuaire/?q=csapa&near=11203&radius_km=25").get_data(as_text=True)
    assert "Distance" in page and "km" in page and "Limoux" not in page
    bad = client.get("/annuaire/?q=csapa&radius_km=25")
    assert bad.status_code == 422
    assert "Rayon (km) :" in bad.get_data(as_text=True)


@pytest.mark.parametrize(("q", "expected"), [
    ("csapa narbonne", ["CSAPA de Narbonne"]),
    ("CSAPA Lézignan", ["CSAPA — antenne de Lézignan-Corbières"]),
    ("csapa lezignan", ["CSAPA — antenne de Lézignan-Corbières"]),
    ("hebergement urgence", ["CHRS de Carcassonne", "SIAO 11 — 115"]),
])
def test_french_search_ignores_accents_and_case(aude, api, q, expected):
    assert names(api("/api/v1/directory/services", q=q)) == expected


def test_medico_psychologique_finds_the_cmps(aude, api):
    found = names(api("/api/v1/directory/services", q="médico psychologique", category="cmp"))
    assert found == ["CMP adultes de Carcassonne", "CMP adultes de Narbonne"]


def test_filters_dual_diagnosis_and_accepting(aude, api):
    found = names(api("/api/v1/directory/services", category="cmp,csapa", dual_diagnosis="1",
                      accepting="1"))
    assert found == ["CMP adultes de Carcassonne", "CSAPA — antenne de Lézignan-Corbières",
                     "CSAPA de Narbonne"]  # sorted without accents or punctuation


def test_which_cmp_serves_this_commune(aude, api):
    assert names(api("/api/v1/directory/communes/11203/cmp")) == ["CMP adultes de Narbonne"]
    assert api("/api/v1/directory/communes/99999/cmp").status_code == 404


@pytest.mark.parametrize(("params", "field"), [
    ({"category": "bakery"}, "category"), ({"near": "12"}, "near"),
    ({"per_page": "1000"}, "per_page"), ({"dual_diagnosis": "peut-être"}, "dual_diagnosis"),
    ({"level": "9"}, "level"), ({"near": "75056"}, "near"),
    ({"radius_km": "20"}, "radius_km"), ({"near": "11203", "radius_km": "-5"}, "radius_km"),
    ({"near": "11203", "radius_km": "1001"}, "radius_km"),
    ({"near": "11203", "radius_km": "loin"}, "radius_km"),
    ({"near": "11203", "radius_km": "nan"}, "radius_km"),
    # Airoux has no geolocated service: its distance to anything is unknown
    ({"near": "11002", "radius_km": "20"}, "radius_km"),
])
def test_bad_search_parameters_are_422_naming_them(aude, api, params, field):
    response = api("/api/v1/directory/services", **params)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_one_service_and_an_unknown_one(aude, api):
    service_id = api("/api/v1/directory/services", q="siao").get_json()["items"][0]["id"]
    body = api(f"/api/v1/directory/services/{service_id}").get_json()
    assert body["phones"][0]["number"] == "115" and body["is_demo"] is True
    assert api("/api/v1/directory/services/999999").status_code == 404


def test_the_pages_mark_demo_data_link_phones_and_warn_when_outdated(aude, client, auth,
                                                                     personas):
    auth.login("alice@dac11.test")
    page = client.get("/annuaire/?q=csapa&near=11203").get_data(as_text=True)
    assert "démo" in page and "même commune" in page
    siao = aude.scalar(select(DirectoryService).where(DirectoryService.source_id == "siao-11"))
    assert 'href="tel:115"' in client.get(f"/annuaire/services/{siao.id}").get_data(
        as_text=True)
    hospital = aude.scalar(select(DirectoryService).where(
        DirectoryService.finess == "110000023"))
    assert "à confirmer" in client.get(f"/annuaire/services/{hospital.id}").get_data(
        as_text=True)
    assert client.get("/annuaire/?category=bakery").status_code == 422


def test_the_hsds_export_says_which_services_are_invented(aude, api):
    exported = api("/api/v1/directory/export/hsds").get_json()
    demo = [s for s in exported if s.get("alert")]
    assert len(demo) == 10 and all("démonstration" in s["description"] for s in demo)
    assert all("alert" not in s for s in exported if s["name"] == "CH CARCASSONNE")


def test_the_hsds_export_validates_against_the_official_schema(aude, api):
    import json
    from pathlib import Path

    import jsonschema

    schema_dir = Path(__file__).resolve().parents[3] / "shared" / "data" / "hsds-3.0"
    if not schema_dir.exists():
        pytest.skip(f"official HSDS schemas not found at {schema_dir}")
    schema = json.loads((schema_dir / "compiled" / "service.json").read_text())
    exported = api("/api/v1/directory/export/hsds").get_json()
    assert len(exported) == aude.scalar(select(func.count()).select_from(DirectoryService))
    validator = jsonschema.Draft202012Validator(schema)
    assert list(validator.iter_errors({"id": "x", "name": 3}))  # the schema does bite
    for service in exported:
        errors = sorted(validator.iter_errors(service), key=str)
        assert not errors, (service["name"], [e.message for e in errors[:3]])
    carcassonne = next(s for s in exported if s["name"] == "CH CARCASSONNE")
    assert carcassonne["organization"]["organization_identifiers"][0]["identifier"] == \
        "110000023"
    # what HSDS has no field for travels as taxonomy terms: category, level, modalities
    terms = {(a["link_type"], a["taxonomy_term"]["code"]) for a in carcassonne["attributes"]}
    assert ("coordination-categorie", "general_hospital") in terms
    assert ("FINESS-categorie", "355") in terms
    csapa = next(s for s in exported if {"coordination-modalite"} & {
        a["link_type"] for a in s["attributes"]})
    assert all(a["link_id"] == csapa["id"] for a in csapa["attributes"])


def test_a_user_reports_outdated_information_and_an_admin_fixes_it(aude, app, client, auth,
                                                                   personas):
    from tests.conftest import Auth, csrf_token

    auth.login("alice@dac11.test")
    csapa = aude.scalar(select(DirectoryService).where(
        DirectoryService.source_id == "csapa-narbonne"))
    page = f"/annuaire/services/{csapa.id}"
    empty = client.post(f"{page}/signalement", data={"csrf_token": csrf_token(client, page)})
    assert "plus exact" in client.get(empty.headers["Location"]).get_data(as_text=True)
    client.post(f"{page}/signalement", data={"csrf_token": csrf_token(client, page),
                                             "note": "Le numéro a changé : 04 68 11 22 33"})
    assert client.get(f"{page}/modifier").status_code == 403
    admin = app.test_client()
    Auth(admin).login(personas["admin"].email)
    assert "Le numéro a changé" in admin.get("/annuaire/signalements").get_data(as_text=True)
    edit = f"{page}/modifier"
    bad = admin.post(edit, data={"csrf_token": csrf_token(admin, edit), "name": "",
                                 "phone": "appelez-nous", "waiting_days": "bientôt"})
    assert bad.status_code == 422
    ok = admin.post(edit, data={"csrf_token": csrf_token(admin, edit), "name": csapa.name,
                                "phone": "04 68 11 22 33", "waiting_days": "12",
                                "accepting_new": "oui"})
    assert ok.status_code == 302
    aude.expire_all()
    fixed = aude.get(DirectoryService, csapa.id)
    assert fixed.phones[0]["number"] == "04 68 11 22 33" and fixed.waiting_days == 12
    history = admin.get(edit).get_data(as_text=True)
    assert "Téléphone : « 04 68 00 00 03 » → « 04 68 11 22 33 »" in history
    assert "Délai d&#39;attente : « 10 » → « 12 »" in history
    assert "Accueille de nouvelles personnes : « oui »" not in history  # unchanged: no entry


@pytest.mark.parametrize(("q", "expected"), [
    ("c.s.a.p.a narbonne", ["CSAPA de Narbonne"]),
    ("csapa sur narbonne", ["CSAPA de Narbonne"]),
    ("csapas narbonne", ["CSAPA de Narbonne"]),
    ("cmp pour adultes narbonne", ["CMP adultes de Narbonne"]),
])
def test_function_words_acronyms_and_plurals_do_not_get_in_the_way(aude, api, q, expected):
    assert names(api("/api/v1/directory/services", q=q)) == expected


def test_a_query_without_any_usable_word_finds_nothing_rather_than_everything(aude, api):
    for q in ("*", "e", "de la", "..."):
        assert api("/api/v1/directory/services", q=q).get_json()["total"] == 0


def test_the_departement_name_and_abbreviations_are_searchable(aude, api):
    assert "CH CARCASSONNE" in names(api("/api/v1/directory/services", q="hopital aude",
                                         per_page="100"))
    assert names(api("/api/v1/directory/services", q="clinique sud")) == [
        "CL DU SUD CARCASSONNE"]


def test_the_page_paginates_and_a_bad_parameter_shows_no_results(aude, client, auth,
                                                                  personas):
    auth.login("alice@dac11.test")
    page = client.get("/annuaire/?category=general_hospital&per_page=5").get_data(as_text=True)
    assert "Suivants" in page and "Page 1 sur" in page
    bad = client.get("/annuaire/?q=csapa&near=12").get_data(as_text=True)
    assert "Au plus près de :" in bad and "service(s)" not in bad
    only_flag = client.get("/annuaire/?accepting=1").get_data(as_text=True)
    assert "service(s)" in only_flag


def test_the_admin_edit_refuses_malformed_contacts(aude, client, auth, personas):
    from tests.conftest import csrf_token

    auth.login(personas["admin"].email)
    csapa = aude.scalar(select(DirectoryService).where(
        DirectoryService.source_id == "csapa-narbonne"))
    edit = f"/annuaire/services/{csapa.id}/modifier"
    response = client.post(edit, data={"csrf_token": csrf_token(client, edit),
                                       "name": csapa.name, "postcode": "ABCDE",
                                       "email": "pas-un-email", "website": "javascript:x",
                                       "accepting_new": "peut-être"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for label in ("Code postal", "E-mail", "Site", "Accueille de nouvelles personnes"):
        assert label in page


def test_the_scheduler_flags_entries_not_verified_for_a_year_once(aude, app, settings,
                                                                   personas):
    from datetime import UTC, datetime

    from coordination.services import jobs
    from directory.models import CurationTask
    from tests.conftest import Auth

    job = next(j for j in jobs.JOBS if j.name == "directory_freshness")
    now = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
    # a user already reported the CH of Carcassonne: no second open task for it
    hospital = aude.scalar(select(DirectoryService).where(
        DirectoryService.finess == "110000023"))
    aude.add(CurationTask(service_id=hospital.id, note="Le standard a changé"))
    aude.commit()
    result = jobs.run_job(aude, settings, job, now, force=True)
    tasks = aude.scalars(select(CurationTask)).all()
    flagged = {t.service_id for t in tasks}
    stale = set(aude.scalars(select(DirectoryService.id).where(
        DirectoryService.last_verified_on < date(2025, 11, 2))))
    demo = set(aude.scalars(select(DirectoryService.id).where(DirectoryService.is_demo)))
    assert stale and flagged == stale and not flagged & demo  # demo verified 2026-09-01
    assert len(tasks) == len(stale)  # one task per service, the report included
    assert result == f"{len(stale) - 1} service(s) de l'annuaire à vérifier"
    assert jobs.run_job(aude, settings, job, now, force=True).startswith("0 service")
    assert len(aude.scalars(select(CurationTask)).all()) == len(tasks)
    # once handled, a service still unverified a year on is flagged again
    note = next(t for t in tasks if t.service_id != hospital.id)
    assert "dernière vérification le 31/12/2023" in note.note
    admin = app.test_client()
    Auth(admin).login(personas["admin"].email)
    assert "Vérification annuelle" in admin.get("/annuaire/signalements").get_data(
        as_text=True)
    services.resolve_task(aude, note.id, personas["admin"].id)
    assert jobs.run_job(aude, settings, job, now, force=True).startswith("1 service")


def test_a_service_is_found_by_its_exact_name_for_the_intake(aude):
    from directory import services

    found = services.services_named(aude, "csapa de narbonne")
    assert [s.name for s in found] == ["CSAPA de Narbonne"]
    assert services.services_named(aude, "CSAPA") == []
