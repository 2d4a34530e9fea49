"""What partners and managers do in the browser: the SIAO (not a health team) is refused a
situation the person did not consent to share with it, and learns nothing of it; the
manager filters the observatory by département and quarter and downloads the PDF."""

import pytest

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.e2e


def test_the_siao_partner_is_refused_a_situation_without_consent(page):
    sign_in(page, "thomas.garcia@siao11.example")
    response = page.goto("/situations/4")  # Théo Rouquette: no consent for the SIAO
    assert response.status == 404
    assert "ROUQUETTE" not in page.locator("body").inner_text().upper()
    page.goto("/situations/")
    assert "ROUQUETTE" not in page.locator("main").inner_text().upper()
    assert page.request.get("/situations/4/synthese.pdf").status == 404


def test_the_manager_filters_the_observatory_and_downloads_the_pdf(page):
    sign_in(page, "helene.vidal@dac11.example")
    page.get_by_role("link", name="Observatoire").click()
    page.get_by_label("Département").fill("11")
    page.get_by_role("checkbox", name="Trimestre").check()
    page.get_by_role("button", name="Afficher").click()
    main = page.locator("main").inner_text()
    assert "secret statistique" in main.lower() or "< 11" in main
    assert page.locator("svg").first.is_visible()
    screenshot(page, "18-observatoire")
    link = page.get_by_role("link", name="PDF").first
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")
    # no name anywhere on the manager's page
    assert "LEFEVRE" not in main.upper() and "BENALI" not in main.upper()
