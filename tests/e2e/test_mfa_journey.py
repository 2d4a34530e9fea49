"""The second factor in the browser (issue 12): an admin creates an account, its owner
enrols TOTP from « Mon compte » (QR code drawn by the server, first code computed here
from the secret the page shows), signs out, then signs in with the password and a code;
a wrong code is refused in French. And a `<script>` stored in a call's notes never runs
where the journal and the call page show it (issue 9 §6)."""

import re
import time

import pyotp
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.e2e

PASSPHRASE = "Les cyprès du canal au soleil levant"


def _code(secret: str, step: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(int(time.time()) // 30 + step)


def test_an_admin_creates_an_account_whose_owner_enrols_and_signs_in_with_a_code(page):
    sign_in(page, "admin@dac11.example")
    page.get_by_role("link", name="Comptes", exact=True).click()
    page.get_by_label("Nom et prénom").fill("Inès Ferrer")
    page.get_by_label("Adresse e-mail").fill("ines.ferrer@dac11.example")
    page.get_by_label("Organisation", exact=True).select_option(label="DAC 11")
    page.get_by_label("Coordinatrice / coordinateur de parcours").check()
    page.get_by_label("Mot de passe initial").fill(PASSPHRASE)
    page.get_by_role("button", name="Créer le compte").click()
    assert page.get_by_role("status").inner_text().startswith("Compte de Inès Ferrer créé")
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()

    # the new account signs in with its password, then enrols from « Mon compte »
    sign_in(page, "ines.ferrer@dac11.example", PASSPHRASE)
    page.goto("/mon-compte")
    page.get_by_role("link", name="Activer la double authentification").click()
    expect(page.get_by_role("heading", name="Double authentification", level=1)).to_be_visible()
    qr = page.locator("figure.qr svg")
    expect(qr).to_be_visible()
    assert "http" not in (qr.inner_html().split("<path", 1)[0])  # drawn here, no remote image
    secret = page.locator("code.secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{16,}", secret)
    screenshot(page, "19-double-authentification")
    # a wrong first code is refused, in French, and nothing is enrolled
    page.get_by_label("Code à 6 chiffres").fill("000000" if _code(secret) != "000000"
                                                 else "111111")
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.locator("main")).to_contain_text("Code incorrect ou déjà utilisé.")
    page.get_by_label("Code à 6 chiffres").fill(_code(secret))
    page.get_by_role("button", name="Activer la double authentification").click()
    expect(page.get_by_role("heading", name="Double authentification activée")).to_be_visible()
    assert page.locator("ul.recovery-codes li").count() == 10
    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_load_state()

    # password, then the second step asks for the code
    sign_in(page, "ines.ferrer@dac11.example", PASSPHRASE)
    assert page.url.endswith("/connexion/code")
    expect(page.get_by_role("heading", name="Code de vérification")).to_be_visible()
    page.get_by_label("Code à 6 chiffres").fill("123456" if _code(secret) != "123456"
                                                 else "654321")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Code refusé : saisissez le code à 6 chiffres")
    assert page.url.endswith("/connexion/code")
    # the code used at enrolment may not be replayed: take the next time step
    page.get_by_label("Code à 6 chiffres").fill(_code(secret, step=1))
    with page.expect_navigation():
        page.get_by_role("button", name="Valider").click()
    assert not page.url.endswith(("/connexion/code", "/connexion"))
    expect(page.get_by_role("heading", name="Coordination", exact=True)).to_be_visible()
    page.goto("/mon-compte")
    assert "Activée." in page.locator("main").inner_text()


INJECTED = '<script>window.__pwned = 1; alert("xss")</script><img src=x onerror="window.__pwned=2">'


def test_a_script_stored_in_a_calls_notes_never_runs_on_the_journal_or_the_call_page(page):
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    sign_in(page, "camille.roux@dac11.example")
    page.goto("/appels/nouveau")
    page.locator("#caller_name").fill('Mme "X" <b>gras</b>')
    page.locator("#motives-1").check()
    page.locator("#notes").fill(INJECTED)
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer l'appel").click()
    saved = page.get_by_role("status").first
    assert "enregistré" in saved.inner_text()
    call_page = saved.get_by_role("link", name="Voir l'appel").get_attribute("href")
    for path in (call_page, "/appels/", "/appels/?q=pwned", "/"):
        page.goto(path)
        page.wait_for_load_state("load")
        assert page.evaluate("window.__pwned === undefined"), path
        if path == call_page:
            # shown as text, exactly as typed
            assert INJECTED in page.locator("main").inner_text()
            assert page.locator("main script").count() == 0
            assert page.locator("main img[src=x]").count() == 0
    assert dialogs == []
