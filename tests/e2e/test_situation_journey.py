"""From a person to a triaged situation, in the browser: open, intake in two sittings,
triage, the path on screen."""

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.e2e


def test_open_fill_the_intake_triage_and_see_the_path(page):
    sign_in(page, "camille.roux@dac11.example")
    page.goto("/personnes/?q=lefevre")
    page.get_by_role("link", name="LEFEVRE").click()
    page.get_by_label("Demandeur").fill("Dr Anne Pujol")
    page.get_by_role("button", name="Ouvrir la situation").click()
    # first sitting: the requester
    page.get_by_label("Qualité du demandeur").select_option("gp")
    page.get_by_label("Motif de la demande").fill("Alcool et troubles psychotiques, "
                                                  "expulsion annoncée, sortie sans suivi")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_label("Lieu de vie").select_option("own_home")
    page.locator("#hospitalised-non").check()
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    assert "brouillon" in page.get_by_role("status").inner_text()
    # second sitting, later: domains and risks
    page.get_by_role("link", name="3. Domaines de complexité").click()
    for label in ("Troubles psychiques", "Addictions", "Logement"):
        page.get_by_role("checkbox", name=label, exact=True).check()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.get_by_role("link", name="5. Risques").click()
    page.locator("#imminent_danger-non").check()
    page.get_by_label("Risque suicidaire").select_option("none")
    page.get_by_role("button", name="Enregistrer le brouillon").click()
    screenshot(page, "09-fiche-de-recueil")
    page.get_by_role("link", name="Retour à la situation").click()
    page.get_by_role("button", name="Soumettre au logigramme").click()
    page.get_by_role("button", name="Passer le logigramme").click()
    assert "Présentation à la prochaine réunion partenariale" in page.locator("main").inner_text()
    assert page.get_by_role("table", name="Chemin suivi").is_visible()
    screenshot(page, "10-situation-triee")


def test_the_admin_reads_the_logigramme_as_a_tree(page):
    sign_in(page, "admin@dac11.example")
    page.get_by_role("link", name="Logigramme").click()
    tree = page.get_by_role("region", name="Arbre de décision")
    assert "Danger imminent" in tree.inner_text()
    screenshot(page, "11-logigramme")
