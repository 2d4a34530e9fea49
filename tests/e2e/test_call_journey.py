"""The single number in the browser, keyboard only: Alt+N from anywhere, type while the
caller speaks, Enter saves; orient a caller to directory services found in place and
print the sheet; open a situation from a call; callbacks on the dashboard."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot
from tests.e2e.test_sign_in_journeys import sign_in

pytestmark = pytest.mark.e2e


def focused(page) -> str:
    return page.evaluate("document.activeElement && (document.activeElement.name || "
                         "document.activeElement.id)")


def test_a_call_is_logged_from_the_keyboard_alone(page):
    sign_in(page, "camille.roux@dac11.example")
    with page.expect_navigation():
        page.keyboard.press("Alt+n")  # the shortcut, from the dashboard
    assert page.url.endswith("/appels/nouveau")
    expect(page.locator("#caller_name")).to_be_focused()
    page.keyboard.type("Marie Castel")
    page.keyboard.press("Tab")
    assert focused(page) == "caller_phone"
    page.keyboard.type("06 11 22 33 44")
    page.keyboard.press("Tab")
    page.keyboard.type("Infirmière libérale")
    page.keyboard.press("Tab")
    page.keyboard.type("Cabinet infirmier de Trèbes")
    page.keyboard.press("Tab")  # who calls: "professional" is already chosen
    page.keyboard.press("Tab")  # the first motive
    assert focused(page) == "motives"
    page.keyboard.press("Space")
    for _ in range(12):  # to the person concerned, past the other motives
        page.keyboard.press("Tab")
        if focused(page) == "person_label":
            break
    assert focused(page) == "person_label"
    page.keyboard.type("Mme R., 82 ans, Trèbes")
    screenshot(page, "13-appel")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    saved = page.get_by_role("status").first.inner_text()
    assert "enregistré" in saved and "Marie Castel" in saved
    # the screen is ready for the next call, and the timer runs again
    assert page.locator("#caller_name").input_value() == ""
    page.goto("/appels/")
    assert "Marie Castel" in page.locator("main").inner_text()


def test_a_caller_is_oriented_with_services_found_in_place(page):
    sign_in(page, "camille.roux@dac11.example")
    page.goto("/appels/nouveau")
    page.locator("#caller_name").fill("Karim Haddad")
    page.locator("#motives-1").check()
    page.locator("#service_query").fill("csapa")
    page.locator("#service_query").press("Enter")  # searches; does not save
    first = page.locator("#chosen-services input[type=checkbox]").first
    first.wait_for()
    assert page.url.endswith("/appels/nouveau")
    assert page.locator("#outcome-1").is_checked()  # "orientation" chosen by the search
    first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Enregistrer l'appel").click()
    sheet = page.get_by_role("link", name="Imprimer la fiche d'orientation (PDF)")
    response = page.request.get(sheet.get_attribute("href"))
    assert response.status == 200 and response.body().startswith(b"%PDF")


def test_a_known_phone_number_fills_the_caller(page):
    sign_in(page, "camille.roux@dac11.example")
    page.goto("/appels/nouveau")
    page.locator("#caller_phone").fill("04 68 25 11 20")  # Dr Pujol, in the demo journal
    page.locator("#caller_phone").press("Tab")
    # (expect polls without eval, which the Content-Security-Policy forbids)
    expect(page.locator("#caller_name")).to_have_value("Dr Anne Pujol")
    assert "Appelant connu" in page.locator("#caller-recognised").inner_text()


def test_a_known_caller_never_overwrites_what_was_typed(page):
    sign_in(page, "camille.roux@dac11.example")
    page.goto("/appels/nouveau")
    page.locator("#caller_organisation").fill("Cabinet de Trèbes")
    page.locator("#caller_phone").fill("04 68 25 11 20")
    page.locator("#caller_phone").press("Tab")
    expect(page.locator("#caller_name")).to_have_value("Dr Anne Pujol")
    expect(page.locator("#caller_organisation")).to_have_value("Cabinet de Trèbes")


def test_the_timer_keeps_running_after_a_refused_save(page):
    sign_in(page, "camille.roux@dac11.example")
    page.goto("/appels/nouveau")
    page.locator("#caller_name").fill("Karim Haddad")
    with page.expect_navigation():
        page.locator("#caller_name").press("Enter")  # no motive: refused, all kept
    expect(page.locator("#caller_name")).to_have_value("Karim Haddad")
    shown = page.locator("#duration").input_value()
    page.wait_for_timeout(2100)
    assert page.locator("#duration").input_value() != shown


def test_callbacks_on_the_dashboard_and_the_journal(page):
    sign_in(page, "camille.roux@dac11.example")
    board = page.get_by_role("region", name="Numéro unique")
    assert "en retard" in board.inner_text()
    page.goto("/appels/?from=2020-01-01")
    screenshot(page, "14-journal-appels")
    assert page.get_by_role("table").first.is_visible()
