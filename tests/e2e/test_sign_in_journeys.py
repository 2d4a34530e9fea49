"""Each demo account signs in from the login page, with the keyboard, and lands on its
role's dashboard; signing out ends the session."""

import re

import pytest
from playwright.sync_api import expect

from coordination.services.demo import DEMO_PASSWORD
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e


def sign_in(page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/connexion")
    # The e-mail field has focus on arrival (autofocus): wait for it, then keyboard only.
    # (A locator assertion, not wait_for_function: its polling evaluates a string, which
    # the page's Content-Security-Policy refuses when focus comes late on a busy machine.)
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(password)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_login_page_is_french_and_focuses_the_email_field(page):
    page.goto("/")
    assert page.url.endswith("/connexion?next=/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.evaluate("document.activeElement.id") == "email"
    screenshot(page, "01-connexion")


@pytest.mark.parametrize(("email", "heading", "shot"), [
    ("camille.roux@dac11.example", "Coordination", "02-tableau-coordination"),
    ("nadia.benali@csapa11.example", "Partenaires du territoire", "03-tableau-partenaire"),
    ("helene.vidal@dac11.example", "Pilotage du partenariat", "04-tableau-pilotage"),
    ("admin@dac11.example", "Administration", "05-tableau-administration"),
])
def test_each_demo_account_lands_on_its_dashboard(page, live_server, email, heading, shot):
    sign_in(page, email)
    assert page.url == live_server + "/"
    assert page.get_by_role("heading", name=heading, exact=True).is_visible()
    screenshot(page, shot)


def test_a_wrong_password_keeps_the_email_and_says_why_without_revealing_the_account(page):
    sign_in(page, "camille.roux@dac11.example", "pas le bon mot de passe")
    assert page.get_by_role("alert").inner_text().startswith("Connexion refusée")
    assert page.locator("#email").input_value() == "camille.roux@dac11.example"


def test_signing_out_returns_to_the_login_page_and_protects_the_dashboard(page):
    sign_in(page, "camille.roux@dac11.example")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()
    assert re.search(r"/connexion$", page.url)
    page.goto("/")
    assert "/connexion" in page.url


def test_an_admin_creates_an_account_and_a_bad_password_keeps_typed_values(page):
    sign_in(page, "admin@dac11.example")
    page.get_by_role("link", name="Comptes", exact=True).click()
    page.get_by_label("Nom et prénom").fill("Paul Cros")
    page.get_by_label("Adresse e-mail").fill("paul.cros@dac11.example")
    page.get_by_label("Coordinatrice / coordinateur de parcours").check()
    page.get_by_label("Mot de passe initial").fill("azerty123456")
    page.get_by_role("button", name="Créer le compte").click()
    assert "les plus courants" in page.get_by_role("alert").inner_text()
    assert page.get_by_label("Nom et prénom").input_value() == "Paul Cros"
    screenshot(page, "06-compte-refuse")
    page.get_by_label("Mot de passe initial").fill("Les remparts de la Cité au matin")
    page.get_by_role("button", name="Créer le compte").click()
    assert page.get_by_role("status").inner_text().startswith("Compte de Paul Cros créé")
