"""A partner meeting in the browser: the coordinator opens the next meeting, reads why
each situation is on the agenda, records a decision with two actions; the CSAPA partner
finds its action and completes it; the PDFs open."""

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.e2e


def test_run_the_meeting_then_the_partner_completes_its_action(page, browser, live_server):
    sign_in(page, "camille.roux@dac11.example")
    page.get_by_role("link", name="Réunions").click()
    page.get_by_role("region", name="À venir").get_by_role("link").first.click()
    agenda = page.get_by_role("region", name="Ordre du jour")
    assert "Rupture de parcours ouverte" in agenda.inner_text()  # Mr Lefevre, in the demo
    screenshot(page, "15-ordre-du-jour")
    for link in ("Ordre du jour (PDF)", "Ordre du jour pseudonymisé (PDF, pour diffusion)"):
        href = page.get_by_role("link", name=link).get_attribute("href")
        assert page.request.get(href).body().startswith(b"%PDF")
    page.get_by_role("link", name="Conduire la réunion").click()
    item = page.locator("article.item-card", has_text="LEFEVRE")
    item.get_by_label("Notes de la discussion").fill("Alcool, troubles psychotiques, "
                                                     "expulsion annoncée.")
    item.get_by_label("Décision").fill("Coordination : CSAPA et CMP, point logement.")
    item.get_by_label("Action 1 : intitulé").fill("Accueil au CSAPA pour M. Lefevre")
    item.get_by_label("Action 1 : type").select_option("csapa_appointment")
    item.get_by_label("Action 1 : organisation").select_option(label="CSAPA de l'Aude")
    item.get_by_label("Action 1 : échéance").fill("2030-01-15")
    item.get_by_label("Action 2 : intitulé").fill("Évaluation au CMP")
    item.get_by_label("Action 2 : type").select_option("cmp_appointment")
    item.get_by_label("Action 2 : organisation").select_option(
        label="USSAP – pôle psychiatrie adulte (CMP)")
    item.get_by_label("Action 2 : échéance").fill("2030-01-20")
    screenshot(page, "16-seance")
    item.get_by_role("button", name="Enregistrer la décision").click()
    assert "2 action(s) confiée(s)" in page.get_by_role("status").first.inner_text()

    partner = browser.new_context(base_url=live_server, locale="fr-FR",
                                  viewport={"width": 1280, "height": 900}).new_page()
    sign_in(partner, "nadia.benali@csapa11.example")
    partner.get_by_role("link", name="Actions", exact=True).click()
    partner.get_by_role("link", name="Accueil au CSAPA pour M. Lefevre").click()
    screenshot(partner, "17-action-partenaire")
    partner.get_by_label("Ce qui a été fait").fill("Reçu le 14 janvier, suivi engagé.")
    partner.get_by_role("button", name="Marquer comme réalisée").click()
    assert "réalisée" in partner.get_by_role("status").first.inner_text()
    partner.context.close()
