"""The rupture taxonomy: the shipped file is valid and says what the field teams count;
a broken file is refused naming the entry and its line; a declared or resolved rupture is
refused field by field when it is wrong."""

import re
from datetime import date, datetime

import pytest

from coordination.domain.errors import ValidationError
from coordination.domain.ruptures import (
    TaxonomyInvalid,
    load_taxonomy,
    parse_taxonomy,
    taxonomy_json,
    validate_resolution,
    validate_rupture,
)

TODAY = date(2026, 6, 15)

MINIMAL = """\
version: "test"
title: Taxonomie de test
type_groups:
  - {code: access, label: Accès}
types:
  - {code: lost_contact, group: access, label: Perte de contact}
cause_families:
  - {code: structure, label: Structures}
causes:
  - {code: capacity_full, family: structure, label: Capacité saturée}
consequences:
  - {code: street, label: Rue}
care_settings:
  - {code: home, label: Domicile}
  - {code: prison, label: Détention}
transition_points:
  - {code: prison_to_home, from: prison, to: home, label: Détention → domicile}
"""


# --- the shipped taxonomy ---------------------------------------------------------------------

def test_the_shipped_taxonomy_loads_and_is_versioned():
    taxonomy = load_taxonomy()
    assert taxonomy.version == "2026.1"
    assert load_taxonomy("2026.1") is taxonomy


@pytest.mark.parametrize("code", [
    "hospital_discharge_without_follow_up", "admission_refused_too_psychiatric",
    "admission_refused_too_addiction", "admission_refused_age", "admission_refused_sector",
    "excessive_waiting_time", "lost_contact", "treatment_interruption_opioid_substitution",
    "treatment_interruption_psychotropic", "no_housing_at_discharge",
    "loss_of_rights_or_resources", "end_of_care_without_handover", "exclusion_after_incident",
    "caregiver_exhaustion", "prison_release_without_follow_up",
])
def test_the_shipped_types_cover_the_ruptures_the_partnership_sees(code):
    assert code in load_taxonomy().codes("types")


@pytest.mark.parametrize(("code", "family"), [
    ("capacity_full", "structure"), ("admission_criteria", "structure"),
    ("waiting_time", "structure"), ("closure_or_vacant_post", "structure"),
    ("information_not_transmitted", "coordination"), ("no_referent", "coordination"),
    ("person_refusal", "person"), ("ambivalence", "person"),
    ("no_local_offer", "territory"), ("transport", "territory"),
    ("rights", "administrative"), ("domiciliation", "administrative"),
])
def test_the_shipped_causes_sit_in_their_family(code, family):
    cause = next(e for e in load_taxonomy().entries("causes") if e.code == code)
    assert cause.ref("family") == family


def test_the_refusal_types_name_trop_psy_and_trop_addicto_in_french():
    taxonomy = load_taxonomy()
    assert "trop psy" in taxonomy.label("types", "admission_refused_too_psychiatric")
    assert "trop addicto" in taxonomy.label("types", "admission_refused_too_addiction")
    assert "TSO" in taxonomy.label("types", "treatment_interruption_opioid_substitution")


def test_every_shipped_code_is_stable_ascii_and_unique_in_its_list():
    for section, entries in load_taxonomy().sections:
        codes = [e.code for e in entries]
        assert len(codes) == len(set(codes)), section
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", c) for c in codes), section
        assert all(e.label.strip() for e in entries), section


def test_the_api_body_has_the_four_lists_of_code_and_label():
    body = taxonomy_json()
    for section in ("types", "causes", "consequences", "transition_points"):
        assert body[section], section
        assert all(isinstance(e["code"], str) and isinstance(e["label"], str)
                   for e in body[section])
    hospital_home = next(p for p in body["transition_points"]
                         if p["code"] == "general_hospital_to_home")
    assert (hospital_home["from"], hospital_home["to"]) == ("general_hospital", "home")
    capacity = next(c for c in body["causes"] if c["code"] == "capacity_full")
    assert capacity["family"] == "structure" and capacity["family_label"]


def test_the_api_body_is_a_fresh_copy_each_time():
    body = taxonomy_json()
    body["types"].clear()
    assert taxonomy_json()["types"]


# --- broken documents -------------------------------------------------------------------------

def refused(text):
    with pytest.raises(TaxonomyInvalid) as invalid:
        parse_taxonomy(text)
    return invalid.value.problems


def test_the_minimal_document_is_accepted():
    taxonomy = parse_taxonomy(MINIMAL)
    assert taxonomy.codes("types") == ("lost_contact",)


def test_a_code_used_twice_is_refused_naming_both_lines():
    text = MINIMAL.replace("  - {code: street, label: Rue}",
                           "  - {code: street, label: Rue}\n  - {code: street, label: Dehors}")
    problems = refused(text)
    assert problems == ["consequences « street » (ligne 13) : code déjà utilisé (ligne 12)"]


def test_an_entry_without_label_is_refused_naming_its_line():
    problems = refused(MINIMAL.replace("{code: street, label: Rue}", "{code: street}"))
    assert problems == ["consequences « street » (ligne 12) : libellé (label) manquant"]


def test_a_cause_in_an_unknown_family_is_refused():
    problems = refused(MINIMAL.replace("family: structure", "family: astrology"))
    assert problems == ["causes « capacity_full » (ligne 10) : family « astrology » inconnu "
                        "de cause_families"]


def test_a_cause_without_family_is_refused():
    problems = refused(MINIMAL.replace("family: structure, ", ""))
    assert problems == ["causes « capacity_full » (ligne 10) : « family » manquant"]


def test_a_transition_point_between_unknown_settings_is_refused():
    problems = refused(MINIMAL.replace("from: prison", "from: moon"))
    assert any("transition_points « prison_to_home »" in p and "« moon »" in p
               for p in problems)


@pytest.mark.parametrize("code", ["Lost contact", "perte_de_contact_é", "1st", ""])
def test_a_code_that_is_not_snake_case_ascii_is_refused(code):
    problems = refused(MINIMAL.replace("code: lost_contact", f"code: '{code}'"))
    assert len(problems) == 1 and "code manquant ou invalide" in problems[0]


def test_a_misspelt_key_is_refused_rather_than_ignored():
    problems = refused(MINIMAL.replace("label: Rue", "label: Rue, descripton: typo"))
    assert problems == ["consequences « street » (ligne 12) : clés inconnues descripton"]


def test_unreadable_yaml_is_refused_naming_the_line():
    problems = refused(MINIMAL.replace("  - {code: street, label: Rue}", "  - {code: street"))
    assert len(problems) == 1 and problems[0].startswith("YAML illisible (ligne")


def test_an_empty_list_and_a_missing_version_are_both_reported():
    problems = refused(MINIMAL.replace('version: "test"\n', "").replace(
        "consequences:\n  - {code: street, label: Rue}\n", "consequences: []\n"))
    assert any("version" in p for p in problems)
    assert any(p.startswith("consequences : liste") for p in problems)


# --- declaring a rupture ----------------------------------------------------------------------

GOOD = {"occurred_on": "2026-05-02", "type": "admission_refused_too_psychiatric",
        "cause": "admission_criteria", "consequence": "street",
        "transition_point": "hospital_to_street"}


def fields_refused(data, today=TODAY):
    with pytest.raises(ValidationError) as refused_:
        validate_rupture(data, today)
    return refused_.value.fields


def test_a_complete_rupture_is_cleaned():
    clean = validate_rupture(GOOD, TODAY)
    assert clean == {**GOOD, "occurred_on": date(2026, 5, 2), "resolved_on": None,
                     "resolution": None}


def test_only_the_date_and_the_type_are_required():
    clean = validate_rupture({"occurred_on": date(2026, 5, 2), "type": "lost_contact"}, TODAY)
    assert clean["cause"] is None and clean["consequence"] is None


def test_a_rupture_today_is_accepted_and_a_datetime_counts_as_its_day():
    assert validate_rupture({**GOOD, "occurred_on": "2026-06-15"}, TODAY)["occurred_on"] == TODAY
    moment = datetime(2026, 6, 15, 23, 59)
    assert validate_rupture({**GOOD, "occurred_on": moment}, TODAY)["occurred_on"] == TODAY


def test_missing_date_and_type_are_named():
    fields = fields_refused({})
    assert set(fields) == {"occurred_on", "type"}


@pytest.mark.parametrize("value", ["2026-06-16", "2027-01-01"])
def test_a_rupture_in_the_future_is_refused(value):
    assert fields_refused({**GOOD, "occurred_on": value}) == {
        "occurred_on": ["La date ne peut pas être dans le futur."]}


@pytest.mark.parametrize("value", ["02/05/2026", "2026-02-30", "20260502", 20260502, "hier"])
def test_a_date_that_is_not_iso_is_refused(value):
    assert list(fields_refused({**GOOD, "occurred_on": value})) == ["occurred_on"]


@pytest.mark.parametrize("field", ["type", "cause", "consequence", "transition_point"])
def test_an_unknown_code_is_refused_naming_its_field(field):
    fields = fields_refused({**GOOD, field: "astrology"})
    assert list(fields) == [field] and "« astrology »" in fields[field][0]


def test_a_code_of_another_list_is_not_accepted():
    assert list(fields_refused({**GOOD, "type": "capacity_full"})) == ["type"]


def test_a_resolved_rupture_needs_a_resolution_text():
    fields = fields_refused({**GOOD, "resolved_on": "2026-06-01", "resolution": "  "})
    assert fields == {"resolution": ["Décrivez comment la rupture a été résolue."]}


def test_a_resolution_text_needs_its_date():
    assert list(fields_refused({**GOOD, "resolution": "CMP trouvé"})) == ["resolved_on"]


def test_a_resolution_before_the_rupture_is_refused():
    fields = fields_refused({**GOOD, "resolved_on": "2026-05-01", "resolution": "CMP trouvé"})
    assert list(fields) == ["resolved_on"] and "2026-05-02" in fields["resolved_on"][0]


def test_a_resolution_in_the_future_is_refused():
    fields = fields_refused({**GOOD, "resolved_on": "2026-06-16", "resolution": "CMP trouvé"})
    assert list(fields) == ["resolved_on"]


def test_a_rupture_resolved_the_same_day_is_accepted():
    clean = validate_rupture({**GOOD, "resolved_on": "2026-05-02",
                              "resolution": " Place en CHRS trouvée "}, TODAY)
    assert clean["resolved_on"] == date(2026, 5, 2)
    assert clean["resolution"] == "Place en CHRS trouvée"


def test_every_fault_is_named_at_once():
    fields = fields_refused({"occurred_on": "2026-07-01", "type": "x", "cause": "y",
                             "resolved_on": "demain", "resolution": 3})
    assert set(fields) == {"occurred_on", "type", "cause", "resolved_on", "resolution"}


def test_resolving_needs_a_date_and_a_text():
    with pytest.raises(ValidationError) as refused_:
        validate_resolution({}, date(2026, 5, 2), TODAY)
    assert set(refused_.value.fields) == {"resolved_on", "resolution"}
    clean = validate_resolution({"resolved_on": "2026-06-10", "resolution": "Suivi CSAPA"},
                                date(2026, 5, 2), TODAY)
    assert clean == {"resolved_on": date(2026, 6, 10), "resolution": "Suivi CSAPA"}


def test_resolving_before_the_rupture_is_refused():
    with pytest.raises(ValidationError) as refused_:
        validate_resolution({"resolved_on": "2026-05-01", "resolution": "x"},
                            date(2026, 5, 2), TODAY)
    assert list(refused_.value.fields) == ["resolved_on"]
