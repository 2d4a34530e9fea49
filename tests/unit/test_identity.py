"""Identity rules: traits, statuses, INS, dates, codes."""

from datetime import date

import pytest

from coordination.domain.identity import (
    IdentityStatus,
    birth_date_problem,
    ins_problem,
    is_commune_code,
    is_country_code,
    status_after_strict_trait_edit,
    status_problem,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("code", ["11069", "2A004", "2B033", "97411", "75056"])
def test_commune_codes_of_mainland_corsica_and_overseas_are_accepted(code):
    assert is_commune_code(code)


@pytest.mark.parametrize("code", ["1106", "110690", "2C004", "AB123", "99134", "00123"])
def test_malformed_commune_codes_are_refused(code):
    assert not is_commune_code(code)


def test_country_codes_start_with_99():
    assert is_country_code("99134") and not is_country_code("11069")


def test_a_valid_ins_passes_and_a_wrong_key_is_named():
    assert ins_problem("2 95 10 99 126 111 93") is None
    assert "Clé de contrôle" in ins_problem("295109912611194")
    assert "15 caractères" in ins_problem("12345")


@pytest.mark.parametrize(("born", "problem"), [
    (date(2026, 11, 23), "futur"),
    (date(1906, 11, 21), "120 ans"),
])
def test_impossible_birth_dates_are_refused(born, problem):
    assert problem in birth_date_problem(born, TODAY)


def test_plausible_birth_dates_are_accepted():
    assert birth_date_problem(date(1906, 11, 22), TODAY) is None
    assert birth_date_problem(TODAY, TODAY) is None


@pytest.mark.parametrize("status", [IdentityStatus.VALIDATED, IdentityStatus.QUALIFIED])
def test_editing_a_strict_trait_of_a_checked_identity_makes_it_provisional(status):
    change = status_after_strict_trait_edit(status, {"birth_name", "phone"})
    assert change.new_status is IdentityStatus.PROVISIONAL
    assert "nom de naissance" in change.reason and "phone" not in change.reason


def test_editing_other_fields_keeps_the_status():
    assert status_after_strict_trait_edit(IdentityStatus.QUALIFIED, {"phone", "address"}) is None
    assert status_after_strict_trait_edit(IdentityStatus.PROVISIONAL, {"birth_name"}) is None


def test_a_qualified_identity_needs_its_ins():
    assert status_problem(IdentityStatus.QUALIFIED, None)
    assert status_problem(IdentityStatus.QUALIFIED, "295109912611193") is None
    assert status_problem(IdentityStatus.VALIDATED, None) is None
