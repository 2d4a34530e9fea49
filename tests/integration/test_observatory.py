"""The observatory through the API, the page, the CSV and the PDF: counts only, small
counts never published (threshold from the settings, not the request), bad filters 422,
pages for candidates and the ruptures section of a situation."""

from datetime import date, timedelta

import pytest

from coordination.models import Rupture
from tests.conftest import csrf_token, pdf_text
from tests.integration.test_ruptures_api import RUPTURE, declare, open_situation
from tests.integration.test_situations_api import COMPLETE_INTAKE, event, put_intake

TODAY = date.today()
# Two quarters of history: one big cell (15), small ones that must be masked (3 and 2).
LAST_QUARTER_DAY = date(TODAY.year, 1, 15) if TODAY.month > 3 else date(TODAY.year - 1, 10, 15)


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


@pytest.fixture
def history(client, coordinator, db_session, personas):
    from directory import reference

    reference.load_communes(db_session, {"11"})
    sid = open_situation(client, coordinator, commune_insee="11069")
    other = open_situation(client, coordinator, birth_name="Durand", commune_insee="11262")
    rows = ([(sid, "lost_contact")] * 15 + [(sid, "excessive_waiting_time")] * 3
            + [(other, "caregiver_exhaustion")] * 2)
    homes = {sid: "11069", other: "11262"}  # recorded with each rupture, as declaring does
    for situation_id, kind in rows:
        db_session.add(Rupture(situation_id=situation_id, occurred_on=LAST_QUARTER_DAY,
                               commune_insee=homes[situation_id],
                               taxonomy_version="2026.1", type=kind,
                               resolved_on=LAST_QUARTER_DAY + timedelta(days=5),
                               resolution="Relais pris."))
    db_session.commit()
    return sid


def _small_counts(rows):
    return [r for r in rows if "count" in r and 0 < r["count"] < 11]


def test_counts_by_type_mask_every_small_cell_and_its_complement(client, auth, history):
    manager = auth.token("emma@dac11.test")
    response = client.get(f"/api/v1/observatory/ruptures?from={LAST_QUARTER_DAY.replace(day=1)}"
                          f"&to={TODAY}&group_by=type", headers=manager)
    assert response.status_code == 200
    body = response.get_json()
    assert _small_counts(body["rows"]) == []
    by_type = {r["type"]: r for r in body["rows"]}
    assert by_type["lost_contact"]["count"] == 15
    assert by_type["excessive_waiting_time"]["suppressed"] is True
    assert "count" not in by_type["excessive_waiting_time"]
    assert by_type["caregiver_exhaustion"]["suppressed"] is True
    assert body["total"] == {"count": 20} and body["suppression_threshold"] == 11
    for table in ("repair_distribution", "recurrence", "transition_points"):
        assert _small_counts(body[table]) == [], table


def test_the_threshold_cannot_be_lowered_by_a_request(client, auth, history):
    manager = auth.token("emma@dac11.test")
    body = client.get("/api/v1/observatory/ruptures?group_by=type&threshold=1"
                      f"&from={LAST_QUARTER_DAY.replace(day=1)}", headers=manager).get_json()
    assert body["suppression_threshold"] == 11 and _small_counts(body["rows"]) == []


def test_the_manager_sees_no_name(client, auth, history):
    manager = auth.token("emma@dac11.test")
    for path in ("/api/v1/observatory/ruptures?group_by=territory,quarter&from="
                 f"{LAST_QUARTER_DAY.replace(day=1)}", "/api/v1/observatory/activity"):
        text = client.get(path, headers=manager).get_data(as_text=True)
        assert "LEFEVRE" not in text.upper() and "DURAND" not in text.upper(), path
    assert client.get(f"/api/v1/situations/{history}", headers=manager).status_code in (403, 404)


def test_territory_groups_by_epci_from_the_commune_recorded_with_the_rupture(client, auth, history):
    manager = auth.token("emma@dac11.test")
    body = client.get("/api/v1/observatory/ruptures?group_by=territory&territory_level=epci"
                      f"&from={LAST_QUARTER_DAY.replace(day=1)}", headers=manager).get_json()
    labels = {r["territory_label"] for r in body["rows"]}
    assert any("Carcassonne" in label for label in labels)
    assert _small_counts(body["rows"]) == []


@pytest.mark.parametrize(("query", "field"), [
    ("group_by=nom", "group_by"), ("from=2010-01-01&to=2025-01-01", "to"),
    ("from=hier", "from"), ("type=teleportation", "type"), ("territory_level=rue",
                                                            "territory_level"),
    ("departement=zz", "departement"), ("departement=20", "departement")])
def test_bad_observatory_filters_are_422_naming_the_field(client, auth, personas, query,
                                                          field):
    manager = auth.token("emma@dac11.test")
    response = client.get(f"/api/v1/observatory/ruptures?{query}", headers=manager)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_partners_do_not_read_the_observatory(client, auth, personas):
    partner = auth.token("bob@csapa.test")
    assert client.get("/api/v1/observatory/ruptures", headers=partner).status_code == 403
    assert client.get("/api/v1/observatory/activity", headers=partner).status_code == 403


def test_activity_counts_calls_situations_and_triage(client, auth, coordinator):
    sid = open_situation(client, coordinator)
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    body = client.get("/api/v1/observatory/activity",
                      headers=auth.token("emma@dac11.test")).get_json()
    assert body["situations"]["opened"] == {"suppressed": True}
    assert body["triage"]["total"] == {"suppressed": True}
    assert all("count" not in r or r["count"] == 0 for r in body["triage"]["outcomes"])
    assert "calls" in body and "delays" in body


def test_the_organisation_type_filter_counts_the_ruptures_at_that_kind_of_structure(
        client, auth, history, partnership, db_session):
    siao = partnership["siao"].id
    for rupture in db_session.query(Rupture).filter(Rupture.type == "lost_contact"):
        rupture.organisation_id = siao
    db_session.commit()
    manager = auth.token("emma@dac11.test")
    period = f"from={LAST_QUARTER_DAY.replace(day=1)}&to={TODAY}&group_by=type"
    at_siao = client.get(f"/api/v1/observatory/ruptures?{period}&organisation_type=siao",
                         headers=manager).get_json()
    assert at_siao["total"] == {"count": 15}
    assert [r["type"] for r in at_siao["rows"]] == ["lost_contact"]
    assert at_siao["filters"]["organisation_type"] == "siao"
    at_csapa = client.get(f"/api/v1/observatory/ruptures?{period}&organisation_type=csapa",
                          headers=manager).get_json()
    assert at_csapa["total"] == {"count": 0}
    refused = client.get("/api/v1/observatory/ruptures?organisation_type=boulangerie",
                         headers=manager)
    assert refused.status_code == 422
    assert "organisation_type" in refused.get_json()["error"]["details"]["fields"]
    auth.login("emma@dac11.test")
    page = client.get(f"/observatoire?{period}&organisation_type=siao")
    assert page.status_code == 200 and 'value="siao" selected' in page.get_data(as_text=True)


def test_activity_counts_only_the_readers_own_organisations_situations(
        client, auth, coordinator, personas, make_organisation, make_user, db_session):
    from coordination.domain.accounts import OrganisationType, Role
    from coordination.services import observatory

    names = ("Arnaud", "Bertin", "Cazals", "Delmas", "Estève", "Fabre", "Gasc", "Huc",
             "Izard", "Jalabert", "Kastler", "Lacombe")
    for i, name in enumerate(names):
        open_situation(client, coordinator, birth_name=name, birth_first_names="Louis",
                       birth_date=f"{1930 + 5 * i}-0{1 + i % 9}-2{i % 8}")
    other_dac = make_user("yann@dac34.test", make_organisation("DAC 34", OrganisationType.DAC),
                          Role.MANAGER)
    period = (TODAY - timedelta(days=1), TODAY + timedelta(days=1))
    assert observatory.activity_counts(db_session, personas["manager"], *period
                                       ).situations_opened == 12
    assert observatory.activity_counts(db_session, other_dac, *period).situations_opened == 0


def test_a_confirmed_candidate_appears_in_the_counts(client, auth, coordinator, db_session):
    from coordination.services import ruptures

    sid = open_situation(client, coordinator)
    put_intake(client, coordinator, sid, {**COMPLETE_INTAKE,
                                          "recent_discharge_without_follow_up": True})
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    assert ruptures.raise_candidates(db_session, TODAY).created == 1
    candidate = client.get("/api/v1/rupture-candidates", headers=coordinator).get_json()[
        "items"][0]
    assert candidate["rule"] == "discharge_without_follow_up"
    client.post(f"/api/v1/rupture-candidates/{candidate['id']}/confirm", json={},
                headers=coordinator)
    body = client.get("/api/v1/observatory/ruptures?group_by=type",
                      headers=coordinator).get_json()
    assert [r["type"] for r in body["rows"]] == ["hospital_discharge_without_follow_up"]
    assert body["rows"][0] == {"type": "hospital_discharge_without_follow_up",
                               "type_label": "Sortie d'hospitalisation sans suivi organisé",
                               "suppressed": True}


# --- pages ---------------------------------------------------------------------------------

def test_the_observatory_page_shows_a_chart_and_masked_cells(client, auth, personas, history):
    auth.login("emma@dac11.test")
    page = client.get(f"/observatoire?from={LAST_QUARTER_DAY.replace(day=1)}&group_by=type")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<svg" in html and "secret statistique" in html and ">15<" in html
    assert "Définitions des indicateurs" in html
    for small in (">2<", ">3<", ">5<"):
        assert small not in html.split("<h2 id=\"activity-title\"")[0], small
    assert client.get("/observatoire?group_by=nom").status_code == 422
    nav = client.get("/").get_data(as_text=True)
    assert "/observatoire" in nav and "/ruptures/candidats" not in nav


def test_csv_and_pdf_exports_never_carry_a_small_count(client, auth, personas, history):
    auth.login("emma@dac11.test")
    query = f"from={LAST_QUARTER_DAY.replace(day=1)}&group_by=type"
    csv_response = client.get(f"/observatoire/ruptures.csv?{query}")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    csv_text = csv_response.get_data(as_text=True)
    lines = [line.split(";") for line in csv_text.strip().splitlines()]
    assert lines[0][-1] == "Ruptures"
    values = [line[-1] for line in lines[1:]]
    assert "15" in values and "secret statistique" in values
    assert not any(v.isdigit() and 0 < int(v) < 11 for v in values)
    pdf = client.get(f"/observatoire/rapport.pdf?{query}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    assert "secret statistique" in text and "Observatoire des ruptures" in text
    assert "(3)" not in text and "(2)" not in text
    # filters said in words, not parameter names
    filtered = pdf_text(client.get(f"/observatoire/rapport.pdf?{query}&departement=11"
                                   "&organisation_type=siao").data)
    assert "partement : 11" in filtered and "SIAO" in filtered
    assert "organisation_type" not in filtered and "departement =" not in filtered


def test_the_candidates_page_confirms_and_dismisses(client, auth, coordinator, db_session):
    from coordination.services import ruptures
    from tests.integration.test_ruptures_api import _age

    sid = open_situation(client, coordinator)
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    _age(db_session, sid, 60)
    ruptures.raise_candidates(db_session, TODAY)
    auth.login("alice@dac11.test")
    page = client.get("/ruptures/candidats").get_data(as_text=True)
    assert "Situation sans événement" in page and "Aucun événement depuis" in page
    candidate = client.get("/api/v1/rupture-candidates", headers=coordinator).get_json()[
        "items"][0]
    token = csrf_token(client, "/ruptures/candidats")
    refused = client.post(f"/ruptures/candidats/{candidate['id']}/ecarter",
                          data={"csrf_token": token, "reason": ""}, follow_redirects=True)
    assert "Indiquez pourquoi" in refused.get_data(as_text=True)
    client.post(f"/ruptures/candidats/{candidate['id']}/confirmer",
                data={"csrf_token": token, "type": "lost_contact", "cause": "",
                      "occurred_on": candidate["occurred_on"]})
    situation = client.get(f"/api/v1/situations/{sid}", headers=coordinator).get_json()
    assert situation["state"] == "in_rupture"


def test_the_situation_page_declares_and_resolves_a_rupture(client, auth, coordinator):
    sid = open_situation(client, coordinator)
    put_intake(client, coordinator, sid, COMPLETE_INTAKE)
    event(client, coordinator, sid, "submit_for_triage")
    client.post(f"/api/v1/situations/{sid}/triage", json={}, headers=coordinator)
    auth.login("alice@dac11.test")
    page = client.get(f"/situations/{sid}").get_data(as_text=True)
    assert "Déclarer une rupture" in page and "Refus ou non-admission" in page
    token = csrf_token(client, f"/situations/{sid}")
    bad = client.post(f"/situations/{sid}/ruptures", data={
        "csrf_token": token, "occurred_on": TODAY.isoformat(), "type": "inconnu"},
        follow_redirects=True)
    assert "Type de rupture : Type de rupture inconnu" in bad.get_data(as_text=True)
    client.post(f"/situations/{sid}/ruptures", data={"csrf_token": token, **RUPTURE})
    shown = client.get(f"/situations/{sid}").get_data(as_text=True)
    assert "En rupture de parcours" in shown and "Résoudre cette rupture" in shown
    rupture_id = declare(client, coordinator, sid).get_json()["id"] - 1
    for rid in (rupture_id, rupture_id + 1):
        client.post(f"/ruptures/{rid}/resolution", data={
            "csrf_token": token, "resolved_on": TODAY.isoformat(), "resolution": "CMP."})
    assert client.get(f"/api/v1/situations/{sid}",
                      headers=coordinator).get_json()["state"] == "awaiting_meeting"


def test_figures_are_reused_for_the_cache_time_then_counted_again(monkeypatch):
    from coordination.services import observatory

    counted = []
    monkeypatch.setattr(observatory, "_REMEMBERED", {})
    clock = iter([0.0, 10.0, 400.0])
    monkeypatch.setattr(observatory, "monotonic", lambda: next(clock))
    for _ in range(3):
        observatory.remembered(("q",), 300, lambda: counted.append(1) or len(counted))
    assert len(counted) == 2  # the second question was answered from memory
    assert observatory.remembered(("q",), 0, lambda: "fresh") == "fresh"


def test_months_and_quarters_are_keyed_by_year_and_period(client, auth, history):
    manager = auth.token("emma@dac11.test")
    since = f"from={LAST_QUARTER_DAY.replace(day=1)}&to={TODAY}"
    by_month = client.get(f"/api/v1/observatory/ruptures?{since}&group_by=month",
                          headers=manager).get_json()["rows"]
    assert [r["month"] for r in by_month] == [LAST_QUARTER_DAY.strftime("%Y-%m")]
    by_quarter = client.get(f"/api/v1/observatory/ruptures?{since}&group_by=quarter",
                            headers=manager).get_json()["rows"]
    quarter = (LAST_QUARTER_DAY.month + 2) // 3
    assert [(r["quarter"], r["count"]) for r in by_quarter] == [
        (f"{LAST_QUARTER_DAY.year}-T{quarter}", 20)]


def test_a_long_period_shows_the_ruptures_and_says_why_activity_is_missing(
        client, auth, personas):
    auth.login("emma@dac11.test")
    page = client.get(f"/observatoire?from={TODAY.year - 6}-01-01&to={TODAY}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Trois ans au plus" in html
    assert "rupture(s)" in html


def test_periods_are_whole_months_so_a_day_cannot_be_subtracted(client, auth, history):
    """Shifting the start by one day must not change the answer: the 15 ruptures of
    LAST_QUARTER_DAY would otherwise be counted as the difference of two published totals."""
    manager = auth.token("emma@dac11.test")

    def ask(start):
        return client.get(f"/api/v1/observatory/ruptures?from={start}&to={TODAY}"
                          "&group_by=type", headers=manager).get_json()

    on_the_day, after_it = ask(LAST_QUARTER_DAY), ask(LAST_QUARTER_DAY + timedelta(days=1))
    assert on_the_day["rows"] == after_it["rows"]
    assert on_the_day["total"] == after_it["total"] == {"count": 20}
    assert after_it["from"] == LAST_QUARTER_DAY.replace(day=1).isoformat()


def test_figures_are_written_the_french_way(app):
    number = app.jinja_env.filters["number_fr"]
    assert number(2038) == "2\u202f038" and number(3.64, 1) == "3,6"
    assert number(None) == "—"


def test_a_chart_without_a_period_shows_the_largest_counts_first(client, auth, history):
    from coordination.services import observatory

    query = observatory.parse_query({"group_by": "type"}, TODAY)
    figures = observatory.RuptureFigures(query, 11, rows=[
        {"type_label": "Petit", "suppressed": True}, {"type_label": "Moyen", "count": 15},
        {"type_label": "Grand", "count": 40}])
    assert [label for label, _ in figures.chart_bars()] == ["Grand", "Moyen", "Petit"]
    by_quarter = observatory.RuptureFigures(observatory.parse_query({}, TODAY), 11, rows=[
        {"quarter_label": "T1", "count": 12}, {"quarter_label": "T2", "count": 30}])
    assert [label for label, _ in by_quarter.chart_bars()] == ["T1", "T2"]
