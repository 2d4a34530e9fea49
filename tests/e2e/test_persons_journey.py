"""A coordinator about to create a person who already exists sees the candidate first."""

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.e2e


def test_creating_an_existing_person_shows_the_candidate_before_anything_is_created(page):
    sign_in(page, "camille.roux@dac11.example")
    page.get_by_role("link", name="Personnes").click()
    page.get_by_role("link", name="Nouvelle personne").click()
    page.get_by_label("Nom de naissance", exact=True).fill("Lefèvre")
    page.get_by_role("textbox", name="Prénoms de naissance (tous").fill("Jean-Pierre")
    page.get_by_label("Date de naissance", exact=True).fill("1971-04-03")
    page.get_by_label("Sexe").select_option("M")
    page.get_by_role("button", name="Créer la personne").click()
    warning = page.get_by_role("alert").first
    assert "Doublon possible" in warning.inner_text()
    assert page.get_by_label("Nom de naissance", exact=True).input_value() == "Lefèvre"
    screenshot(page, "07-doublon-avant-creation")
    page.get_by_role("link", name="Ouvrir la fiche").first.click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("LEFEVRE")
    screenshot(page, "08-fiche-personne")


def test_the_search_ignores_accents_and_finds_a_used_name(page):
    sign_in(page, "camille.roux@dac11.example")
    page.goto("/personnes/")
    page.get_by_label("Nom ou prénom").fill("bousquet")
    page.get_by_role("button", name="Rechercher").click()
    assert "1 personne(s) trouvée(s)" in page.get_by_role("heading", level=2).inner_text()
    assert page.get_by_role("link", name="GARCIA").is_visible()


def test_the_nearest_csapa_from_lezignan(page):
    sign_in(page, "camille.roux@dac11.example")
    page.get_by_role("link", name="Annuaire").click()
    page.get_by_label("Recherche").fill("csapa")
    page.get_by_label("Au plus près de la commune").fill("Lézignan-Corbières")
    page.get_by_role("button", name="Rechercher").click()
    first_row = page.locator("tbody tr").first
    assert "Lézignan-Corbières" in first_row.inner_text()
    assert "même commune" in first_row.inner_text()
    screenshot(page, "12-annuaire")
