"""Duplicate detection: the variations callers produce are caught; twins and namesakes are
kept apart; the labelled evaluation set reaches its figures."""

from datetime import date

import pytest

from coordination.domain.identity_matching import (
    IdentityTraits,
    compare,
    fold,
    phonetic_key,
)
from tests.data.identity_pairs import build_pairs, evaluate


def person(name, first, born, sex="M", used=None):
    return IdentityTraits(birth_name=name, first_names=first, birth_date=born, sex=sex,
                          used_name=used)


def test_folding_removes_accents_case_and_punctuation():
    assert fold(" Lefèvre-Dupont ") == "LEFEVRE DUPONT"
    assert fold("Œillet d'Aude") == "OEILLET D AUDE"


@pytest.mark.parametrize(("a", "b"), [("Lefèvre", "Lefebvre"), ("Philippe", "Filipe"),
                                      ("Mohamed", "Mohammed"), ("Gauthier", "Gautier"),
                                      ("Jean-Pierre", "Pierre Jean")])
def test_spelling_variants_share_a_phonetic_key(a, b):
    assert phonetic_key(a) == phonetic_key(b)


def test_the_issue_example_is_a_likely_duplicate():
    existing = person("LEFEVRE", "Jean Pierre", date(1971, 3, 4))
    typed = person("Lefèvre", "Jean-Pierre", date(1971, 4, 3))
    assert compare(typed, existing).is_likely_duplicate


def test_a_married_name_meets_the_birth_name_record():
    record = person("Durand", "Sophie", date(1980, 5, 17), "F", used="Martin")
    caller = person("MARTIN", "Sophie", date(1980, 5, 17), "F")
    assert compare(caller, record).is_likely_duplicate


def test_name_and_first_name_typed_in_each_others_field():
    assert compare(person("Jean", "Martin", date(1950, 1, 2)),
                   person("Martin", "Jean", date(1950, 1, 2))).is_likely_duplicate


def test_twins_are_not_duplicates():
    assert not compare(person("Roux", "Lucas", date(2001, 6, 9)),
                       person("Roux", "Hugo", date(2001, 6, 9))).is_likely_duplicate


def test_twins_michel_and_michele_are_not_duplicates_even_without_sex():
    michele = IdentityTraits("Roux", "Michèle", date(1961, 6, 9), None)
    assert not compare(person("Roux", "Michel", date(1961, 6, 9)), michele).is_likely_duplicate


def test_namesakes_born_years_apart_are_not_duplicates():
    assert not compare(person("Martin", "Jean", date(1950, 1, 2)),
                       person("Martin", "Jean", date(1978, 9, 23))).is_likely_duplicate


def test_a_different_sex_rules_out_a_duplicate():
    assert not compare(person("Roux", "Camille", date(1990, 2, 3), "F"),
                       person("Roux", "Camille", date(1990, 2, 3), "M")).is_likely_duplicate


def test_candidates_are_ranked_by_score():
    typed = person("Lefevre", "Jean", date(1971, 3, 4))
    exact = compare(typed, person("Lefèvre", "Jean", date(1971, 3, 4)))
    swapped = compare(typed, person("Lefebvre", "Jean", date(1971, 4, 3)))
    assert exact.score > swapped.score


def test_the_labelled_set_is_large_and_mixed():
    pairs = build_pairs()
    assert len(pairs) >= 300
    kinds = {p.kind for p in pairs}
    assert {"twins", "namesakes", "gendered_twins", "married", "day_month_swap",
            "inverted", "typo_name"} <= kinds
    assert sum(not p.same_person for p in pairs) >= 100


def test_the_matcher_reaches_its_precision_and_recall_with_margin():
    """Targets: precision >= 0.95, recall >= 0.90 (issue 5). Asserted with margin on the
    reference set, and at the targets on three other seeds."""
    reference = evaluate(build_pairs())
    assert reference.precision >= 0.97, reference.false_positives[:5]
    assert reference.recall >= 0.95, reference.false_negatives[:5]
    for seed in (7, 11, 13):
        other = evaluate(build_pairs(seed=seed))
        assert other.precision >= 0.95 and other.recall >= 0.90, seed


def test_twins_sharing_the_first_part_of_a_compound_first_name_are_kept_apart():
    assert not compare(person("Roux", "Jean-Pierre", date(1980, 1, 5)),
                       person("Roux", "Jean-Luc", date(1980, 1, 5))).is_likely_duplicate


@pytest.mark.parametrize(("masculine", "feminine"), [("Samir", "Samira"), ("Yves", "Yvette"),
                                                     ("Paul", "Pauline")])
def test_gendered_first_names_are_not_typos_when_the_sex_is_unknown(masculine, feminine):
    other = IdentityTraits("Roux", feminine, date(1980, 1, 5), None)
    assert not compare(person("Roux", masculine, date(1980, 1, 5)), other).is_likely_duplicate


@pytest.mark.parametrize(("a", "b"), [("Mohamed", "Muhammad"), ("Youssef", "Yusuf")])
def test_transliterations_of_the_same_first_name_meet(a, b):
    assert compare(person("Benali", a, date(1980, 3, 5)),
                   person("Benali", b, date(1980, 3, 5))).is_likely_duplicate


def test_a_placeholder_first_of_january_meets_the_real_birth_date():
    assert compare(person("Haddad", "Karim", date(1980, 3, 5)),
                   person("Haddad", "Karim", date(1980, 1, 1))).is_likely_duplicate


def test_ain_sounds_like_in_not_like_e():
    assert phonetic_key("Lorrain") != phonetic_key("Laurent")
