"""The FINESS importer on fixtures in the official format: all-or-nothing, every rejected
line reported, idempotent, Lambert 93 converted, ISO-8859-1 and UTF-8."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from coordination.cli import cli
from coordination.db import make_engine, make_session_factory
from coordination.migrate import upgrade_to_head
from directory import reference
from directory.finess import import_finess
from directory.models import DirectoryService

FIXTURES = Path(__file__).parent.parent / "data" / "finess"


@pytest.fixture
def communes(db_session):
    reference.load_communes(db_session, {"11"})
    return db_session


def finess_services(session):
    return session.scalar(select(func.count()).select_from(DirectoryService)
                          .where(DirectoryService.source == "finess"))


def test_a_valid_iso_8859_1_extraction_is_imported_with_coordinates(communes):
    report = import_finess(communes, (FIXTURES / "valid-aude.csv").read_bytes())
    assert (report.encoding, report.created, report.out_of_scope, report.rejected) == (
        "iso-8859-1", 2, 1, [])
    csapa = communes.scalar(select(DirectoryService).where(
        DirectoryService.finess == "110009999"))
    assert csapa.name == "CSAPA ARIA Aude - Carcassonne" and csapa.category == "csapa"
    assert csapa.commune_insee == "11069" and csapa.phones[0]["number"] == "0468000010"
    assert abs(csapa.latitude - 43.2130) < 0.001 and abs(csapa.longitude - 2.3491) < 0.001
    from directory.services import parse_query, search

    found = search(communes, parse_query({"q": "aria carcassonne"}))
    assert [hit.service.finess for hit in found.items] == ["110009999"]


def test_reimporting_updates_and_never_duplicates(communes):
    raw = (FIXTURES / "valid-aude.csv").read_bytes()
    import_finess(communes, raw)
    again = import_finess(communes, raw)
    assert (again.created, again.updated) == (0, 2)
    assert finess_services(communes) == 2


def test_an_invalid_file_writes_nothing_and_reports_every_line(communes):
    report = import_finess(communes, (FIXTURES / "invalid-aude.csv").read_bytes())
    assert not report.written and finess_services(communes) == 0
    lines = {line: reason for line, reason in report.rejected}
    assert set(lines) == {3, 4, 5, 6, 7, 8}
    assert "champs" in lines[3] and "FINESS invalide" in lines[4]
    assert "inconnue" in lines[5] and "déjà présent ligne 2" in lines[6]
    assert "hors de France" in lines[7] and "inconnu" in lines[8]


def test_skip_invalid_imports_the_valid_lines(communes):
    report = import_finess(communes, (FIXTURES / "invalid-aude.csv").read_bytes(),
                           skip_invalid=True)
    assert report.written and report.created == 1 and finess_services(communes) == 1


def test_dry_run_writes_nothing(communes):
    report = import_finess(communes, (FIXTURES / "valid-aude.csv").read_bytes(),
                           dry_run=True)
    assert report.created == 2 and not report.written and finess_services(communes) == 0


def test_filters_by_departement_and_category(communes):
    report = import_finess(communes, (FIXTURES / "valid-aude.csv").read_bytes(),
                           categories=["156"])
    assert report.created == 1 and report.out_of_scope == 2
    report = import_finess(communes, (FIXTURES / "valid-aude.csv").read_bytes(),
                           departements=["34"], dry_run=True)
    assert report.created == 0 and report.out_of_scope == 3


def test_a_file_that_is_not_a_finess_extraction_is_refused_at_line_1(communes):
    report = import_finess(communes, b"nom;prenom\nDupont;Jean\n")
    assert report.rejected == [(1, report.rejected[0][1])] and "en-tête" in report.rejected[0][1]


def test_the_cli_reports_lines_and_exits_1_in_all_or_nothing_mode(fresh_database_url,
                                                                  tmp_path, monkeypatch):
    monkeypatch.setenv("COORDINATION_DATABASE_URL", fresh_database_url)
    monkeypatch.setenv("COORDINATION_INSTANCE_PATH", str(tmp_path))
    upgrade_to_head(fresh_database_url)
    engine = make_engine(fresh_database_url)
    with make_session_factory(engine)() as session:
        reference.load_communes(session, {"11"})
    engine.dispose()
    runner = CliRunner()
    bad = runner.invoke(cli, ["import-directory", "finess", str(FIXTURES / "invalid-aude.csv")])
    assert bad.exit_code == 1 and "invalid-aude.csv:4: numéro FINESS invalide" in bad.output
    assert "nothing written" in bad.output
    good = runner.invoke(cli, ["import-directory", "finess", str(FIXTURES / "valid-aude.csv"),
                               "--departement", "11"])
    assert good.exit_code == 0 and "2 created" in good.output
    again = runner.invoke(cli, ["import-directory", "finess", str(FIXTURES / "valid-aude.csv"),
                                "--overwrite-edits"])
    assert again.exit_code == 0 and "2 updated" in again.output
    assert "0 hand correction(s) overwritten" in again.output
    unknown = runner.invoke(cli, ["import-directory", "finess", "x.csv", "--category", "999"])
    assert unknown.exit_code == 2 and "999" in unknown.output


def test_hsds_round_trip_imports_what_the_export_wrote(communes, db_session):
    import json

    from directory.hsds import export
    from directory.imports import import_hsds

    reference.load_demo_services(db_session)
    exported = [s for s in export(db_session) if s["name"].startswith("CSAPA")]
    report = import_hsds(db_session, json.dumps(exported).encode(), category="csapa")
    assert report.created == len(exported) == 4 and not report.rejected
    again = import_hsds(db_session, json.dumps(exported).encode(), category="csapa")
    assert (again.created, again.updated) == (0, 4)
    imported = db_session.scalar(select(DirectoryService).where(
        DirectoryService.source == "hsds", DirectoryService.name == "CSAPA de Narbonne"))
    assert imported.commune_insee == "11262" and imported.phones[0]["number"] == "04 68 00 00 03"
    original = db_session.scalar(select(DirectoryService).where(
        DirectoryService.source != "hsds", DirectoryService.name == "CSAPA de Narbonne"))
    # the attributes come back: category (not the default given), level, modalities
    gem_default = import_hsds(db_session, json.dumps(exported).encode(), category="gem")
    assert not gem_default.rejected
    db_session.refresh(imported)
    assert imported.category == "csapa"
    assert (imported.care_level, imported.modalities, imported.accepts_dual_diagnosis) == (
        original.care_level, original.modalities, original.accepts_dual_diagnosis)


def test_unknown_hsds_attributes_are_reported_by_item(communes):
    import json

    from directory.imports import import_hsds

    def item(taxonomy, code):
        return {"id": f"{taxonomy}-{code}", "name": "Service", "attributes": [
            {"id": "x", "link_type": taxonomy, "taxonomy_term": {"id": "t", "code": code,
                                                                 "name": code}}]}

    report = import_hsds(communes, json.dumps([
        item("coordination-categorie", "boulangerie"),
        item("coordination-niveau-recours", "7"),
        item("coordination-modalite", "teleportation"),
        item("coordination-double-diagnostic", "oui")]).encode(), category="gem")
    assert [line for line, _ in report.rejected] == [1, 2, 3] and not report.written
    assert "boulangerie" in report.rejected[0][1] and "niveau" in report.rejected[1][1]


def test_hsds_problems_are_reported_by_item_and_nothing_is_written(communes):
    import json

    from directory.imports import import_hsds

    items = [{"id": "a", "name": "Bon service"}, {"id": "b"},
             {"id": "a", "name": "Doublon"},
             {"id": "c", "name": "Loin", "service_at_locations": [{"location": {
                 "latitude": 60.0, "longitude": 2.0}}]}]
    report = import_hsds(communes, json.dumps(items).encode(), category="gem")
    assert [line for line, _ in report.rejected] == [2, 3, 4] and not report.written
    assert import_hsds(communes, b"{not json", category="gem").rejected[0][1].startswith(
        "JSON invalide")


def test_sectorisation_attaches_communes_to_their_cmp(communes, db_session):
    from directory.imports import import_sectors
    from directory.services import cmp_for_commune

    reference.load_demo_services(db_session)
    csv_text = ("commune_insee;sector;service\n11206;11G02;cmp-carcassonne\n"
                "99999;11G02;cmp-carcassonne\n11206;11G02;nowhere\n")
    report = import_sectors(db_session, csv_text.encode())
    assert [line for line, _ in report.rejected] == [3, 4] and not report.written
    report = import_sectors(db_session, csv_text.encode(), skip_invalid=True)
    assert report.created == 1
    assert [s.name for s in cmp_for_commune(db_session, "11206")] == [
        "CMP adultes de Carcassonne"]


def _served(session, source_id):
    service = session.scalar(select(DirectoryService).where(
        DirectoryService.source_id == source_id))
    session.refresh(service)
    return sorted(link.commune_insee for link in service.served)


def test_a_sectors_reimport_detaches_the_communes_the_file_no_longer_lists(communes,
                                                                          db_session):
    from directory.imports import import_sectors

    reference.load_demo_services(db_session)
    narbonne = _served(db_session, "cmp-narbonne")
    csv_text = ("commune_insee;sector;service\n11069;11G01;cmp-carcassonne\n"
                "11001;11G01;cmp-carcassonne\n")
    report = import_sectors(db_session, csv_text.encode())
    assert report.written and (report.created, report.updated) == (0, 2)
    assert _served(db_session, "cmp-carcassonne") == ["11001", "11069"]
    assert len(report.removed) == 4 and "commune 11002 retirée du secteur de « CMP adultes " \
        "de Carcassonne » (11G01)" in report.removed[0]
    assert _served(db_session, "cmp-narbonne") == narbonne  # sector 11G03 not in the file
    again = import_sectors(db_session, csv_text.encode())
    assert again.removed == [] and again.updated == 2


def test_a_cmp_moved_to_another_sector_keeps_only_what_the_file_gives_it(communes,
                                                                         db_session):
    from directory.imports import import_sectors

    reference.load_demo_services(db_session)
    report = import_sectors(db_session, b"commune_insee;sector;service\n"
                                        b"11203;11G04;cmp-narbonne\n")
    assert _served(db_session, "cmp-narbonne") == ["11203"]
    assert len(report.removed) == 3


def test_skipping_a_rejected_line_keeps_that_communes_link(communes, db_session):
    from directory.imports import import_sectors

    reference.load_demo_services(db_session)
    csv_text = ("commune_insee;sector;service\n11069;11G01;cmp-carcasonne\n"  # typo: rejected
                "11001;11G01;cmp-carcassonne\n")
    report = import_sectors(db_session, csv_text.encode(), skip_invalid=True)
    assert [line for line, _ in report.rejected] == [2]
    assert _served(db_session, "cmp-carcassonne") == ["11001", "11069"]
    dry = import_sectors(db_session, b"commune_insee;sector;service\n"
                                     b"11001;11G01;cmp-carcassonne\n", dry_run=True)
    assert dry.removed and _served(db_session, "cmp-carcassonne") == ["11001", "11069"]


def _valid_lines():
    return (FIXTURES / "valid-aude.csv").read_bytes().decode("iso-8859-1").splitlines()


def test_a_stray_quote_does_not_swallow_the_following_lines(communes):
    lines = _valid_lines()
    lines[1] = lines[1].replace("CSAPA ARIA 11", 'CSAPA "ARIA 11')
    report = import_finess(communes, ("\n".join(lines) + "\n").encode("utf-8"))
    assert report.lines == len(lines) and report.created == 2 and not report.rejected


def test_a_latin_1_line_in_a_utf_8_file_is_rejected_not_garbled(communes):
    lines = _valid_lines()
    raw = "\n".join(lines[:2]).encode("utf-8") + b"\n" + lines[2].replace(
        "Lézignan", "L\xe9zignan").encode("iso-8859-1") + b"\n"
    raw = raw.replace(b"CSAPA ARIA 11", "CSAPA ARIA Lézignan".encode())
    report = import_finess(communes, raw)
    assert [line for line, _ in report.rejected] == [3] and "encodage" in report.rejected[0][1]


def test_an_overseas_utm_line_does_not_block_a_mainland_import(communes):
    lines = _valid_lines() + ["geolocalisation;970000001;700000.0;1800000.0;"
                              "1,ATLASANTE,100,IGN,BD_ADRESSE,V2.2,UTM_N20;2025-01-01"]
    report = import_finess(communes, ("\n".join(lines) + "\n").encode("utf-8"),
                           departements=["11"])
    assert report.created == 2 and not report.rejected


def test_a_hospital_loaded_from_sae_is_updated_not_duplicated(communes):
    reference.load_sae_hospitals(communes)
    lines = _valid_lines()
    lines[2] = lines[2].replace("110009997", "110000023")  # CH Carcassonne's FINESS number
    import_finess(communes, ("\n".join(lines) + "\n").encode("utf-8"))
    same = communes.scalars(select(DirectoryService).where(
        DirectoryService.finess == "110000023")).all()
    assert len(same) == 1
    # what FINESS does not carry stays: the SAE category, the care modalities
    assert same[0].extra["sae_category"] == "355" and same[0].extra["finess_ej"] == "110009996"
    assert same[0].modalities == ["residential", "ambulatory"]


def _edit_by_hand(session, finess, **fields):
    from datetime import date

    from directory.services import edit_service

    service = session.scalar(select(DirectoryService).where(DirectoryService.finess == finess))
    edit_service(session, service, fields, date(2026, 10, 1))
    return service


def test_a_reimport_keeps_an_admins_correction_and_reports_the_disagreement(communes):
    raw = (FIXTURES / "valid-aude.csv").read_bytes()
    import_finess(communes, raw)
    service = _edit_by_hand(communes, "110009999", name="CSAPA ARIA — Carcassonne centre",
                            opening_hours="Lundi au vendredi 9h–17h")
    changed = raw.replace(b"0468000010", b"0468000099")  # FINESS changes the phone only
    report = import_finess(communes, changed)
    communes.expire_all()
    assert service.name == "CSAPA ARIA — Carcassonne centre"  # kept
    assert service.phones[0]["number"] == "0468000099"  # not corrected by hand: updated
    assert service.opening_hours == "Lundi au vendredi 9h–17h"
    assert service.name_key == "csapa aria carcassonne centre"
    assert service.last_verified_on.isoformat() == "2026-10-01"  # the admin's, more recent
    [(line, message)] = report.conflicts
    assert line == 2 and "110009999" in message and "corrigé à la main, gardé" in message
    assert "« CSAPA ARIA Aude - Carcassonne »" in message
    # the same value in the file and by hand is no disagreement
    _edit_by_hand(communes, "110009997", address="2 AV DE LA GARE")
    assert import_finess(communes, changed).conflicts == [(2, message)]


def test_overwrite_edits_replaces_the_correction_and_says_so_in_the_history(communes):
    from directory.curation import history

    raw = (FIXTURES / "valid-aude.csv").read_bytes()
    import_finess(communes, raw)
    service = _edit_by_hand(communes, "110009999", name="CSAPA ARIA — Carcassonne centre")
    report = import_finess(communes, raw, overwrite_edits=True)
    communes.expire_all()
    assert service.name == "CSAPA ARIA Aude - Carcassonne"
    assert "remplacée par le fichier" in report.conflicts[0][1]
    latest = history(communes, service.id)[0]
    assert (latest.field, latest.origin, latest.old_value, latest.new_value) == (
        "name", "finess", "CSAPA ARIA — Carcassonne centre", "CSAPA ARIA Aude - Carcassonne")
    # the file's value is no longer a hand correction: the next import has nothing to say
    assert import_finess(communes, raw).conflicts == []


def test_a_dry_run_reports_the_disagreements_without_writing(communes):
    raw = (FIXTURES / "valid-aude.csv").read_bytes()
    import_finess(communes, raw)
    service = _edit_by_hand(communes, "110009999", name="Corrigé")
    report = import_finess(communes, raw, dry_run=True, overwrite_edits=True)
    communes.expire_all()
    assert report.conflicts and service.name == "Corrigé"


def test_an_hsds_reimport_keeps_corrections_too(communes, db_session):
    import json
    from datetime import date

    from directory.hsds import export
    from directory.imports import import_hsds
    from directory.services import edit_service

    reference.load_demo_services(db_session)
    exported = [s for s in export(db_session) if s["name"] == "CSAPA de Narbonne"]
    import_hsds(db_session, json.dumps(exported).encode(), category="csapa")
    imported = db_session.scalar(select(DirectoryService).where(
        DirectoryService.source == "hsds"))
    edit_service(db_session, imported, {"email": "accueil@csapa11.test"}, date(2026, 10, 1))
    exported[0]["email"] = "ancien@csapa11.test"
    report = import_hsds(db_session, json.dumps(exported).encode(), category="csapa")
    assert imported.email == "accueil@csapa11.test"
    assert report.conflicts and report.conflicts[0][0] == 1
    # reloading the reference data keeps a correction of a demo service as well
    demo = db_session.scalar(select(DirectoryService).where(
        DirectoryService.source_id == "csapa-narbonne"))
    edit_service(db_session, demo, {"name": "CSAPA du Narbonnais"}, date(2026, 10, 1))
    reference.load_demo_services(db_session)
    assert demo.name == "CSAPA du Narbonnais"


def test_hsds_items_of_the_wrong_shape_are_reported_not_a_crash(communes):
    import json

    from directory.imports import import_hsds

    items = [{"id": "a", "name": "A", "minimum_age": "dix-huit"},
             {"id": "b", "name": "B", "description": 12},
             {"id": "c", "name": "C", "organization": ["x"]},
             {"id": "d", "name": "D", "service_at_locations": [{"location": {
                 "addresses": ["x"]}}]},
             {"id": "e", "name": "E", "minimum_age": 30, "maximum_age": 18},
             {"id": "f", "name": "F", "service_at_locations": [{"location": {"addresses": [{
                 "address_1": "1 rue", "city": "Lezignan Corbieres", "state_province": "Aude",
                 "postal_code": "11200", "country": "FR"}]}}]}]
    report = import_hsds(communes, json.dumps(items).encode(), category="gem",
                         skip_invalid=True)
    assert [line for line, _ in report.rejected] == [1, 2, 3, 4, 5]
    assert report.created == 1
    assert communes.scalar(select(DirectoryService.commune_insee).where(
        DirectoryService.name == "F")) == "11203"
