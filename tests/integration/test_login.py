"""Signing in and out of the web pages: French pages, renewed session, idle timeout,
lock-out after repeated failures, and messages that never reveal whether an account exists."""

import re
from datetime import timedelta

import pytest

from coordination.db import utcnow
from coordination.services import accounts
from tests.conftest import PASSWORD, csrf_token


def test_the_login_page_is_french_and_carries_a_csrf_token(client):
    page = client.get("/connexion").get_data(as_text=True)
    assert '<html lang="fr">' in page
    assert "Connexion" in page and "Mot de passe" in page
    assert 'name="csrf_token"' in page


def test_an_anonymous_visitor_is_sent_to_the_login_page_and_back_after(client, auth, personas):
    response = client.get("/mon-compte")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/connexion?next=/mon-compte")
    response = client.post("/connexion?next=/mon-compte", data={
        "email": "alice@dac11.test", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/mon-compte"


def test_the_next_parameter_never_redirects_to_another_site(client, personas):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post("/connexion?next=" + target, data={
            "email": "alice@dac11.test", "password": PASSWORD, "csrf_token": csrf_token(client)})
        assert response.headers["Location"] == "/"
        client.post("/deconnexion", data={"csrf_token": csrf_token(client, "/")})


@pytest.mark.parametrize(("persona", "section"), [
    ("coordinator", "Coordination"),
    ("csapa_partner", "Partenaires du territoire"),
    ("manager", "Pilotage du partenariat"),
    ("admin", "Administration"),
])
def test_each_role_lands_on_its_dashboard(client, auth, personas, persona, section):
    response = auth.login(personas[persona].email)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert section in page


def test_a_manager_dashboard_shows_aggregates_but_no_partner_list(client, auth, personas):
    auth.login(personas["manager"].email)
    page = client.get("/").get_data(as_text=True)
    assert "Partenaires du territoire" not in page


def test_login_renews_the_session_cookie(client, auth, personas):
    client.get("/connexion")
    before = client.get_cookie("coordination_session").value
    auth.login("alice@dac11.test")
    after = client.get_cookie("coordination_session").value
    assert before != after


def test_session_cookie_is_httponly_and_samesite(client, auth, personas):
    response = auth.login("alice@dac11.test")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_cookie_copied_before_logout_is_worthless_after(client, app, auth, personas):
    auth.login("alice@dac11.test")
    stolen = client.get_cookie("coordination_session").value
    auth.logout()
    other = app.test_client()
    other.set_cookie("coordination_session", stolen)
    assert other.get("/").status_code == 302


def test_logout_is_a_post_with_csrf_never_a_get(client, auth, personas):
    auth.login("alice@dac11.test")
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400  # no CSRF token
    assert client.get("/").status_code == 200  # still signed in
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_an_idle_session_ends_after_thirty_minutes_and_says_so(client, auth, personas,
                                                                monkeypatch):
    auth.login("alice@dac11.test")
    assert client.get("/").status_code == 200
    later = utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    response = client.get("/", follow_redirects=True)
    assert "/connexion" in response.request.path
    assert "session a expiré" in response.get_data(as_text=True)


def test_activity_keeps_a_session_alive(client, auth, personas, monkeypatch):
    auth.login("alice@dac11.test")
    start = utcnow()
    for minutes in (20, 40, 60):
        now = start + timedelta(minutes=minutes)
        monkeypatch.setattr(accounts, "utcnow", lambda now=now: now)
        assert client.get("/").status_code == 200


def test_a_disabled_account_is_signed_out_at_its_next_request(client, auth, personas, db_session):
    auth.login("alice@dac11.test")
    accounts.set_user_enabled(db_session, None, personas["coordinator"], False)
    assert client.get("/").status_code == 302
    assert auth.login("alice@dac11.test").status_code == 401


def test_wrong_password_and_unknown_account_get_the_same_answer(client, auth, personas):
    wrong = auth.login("alice@dac11.test", "pas le bon mot de passe")
    unknown = auth.login("personne@nulle-part.test", "pas le bon mot de passe")
    assert wrong.status_code == unknown.status_code == 401
    assert accounts.LOGIN_REFUSED in wrong.get_data(as_text=True)
    assert accounts.LOGIN_REFUSED in unknown.get_data(as_text=True)


def test_ten_failures_lock_the_account_for_fifteen_minutes(client, auth, personas, monkeypatch):
    for _ in range(10):
        assert auth.login("alice@dac11.test", "mauvais mot de passe").status_code == 401
    locked = auth.login("alice@dac11.test")  # the right password, during the lock
    assert locked.status_code == 401
    assert accounts.LOGIN_REFUSED in locked.get_data(as_text=True)
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    assert auth.login("alice@dac11.test").status_code == 302


def test_failures_spread_over_more_than_fifteen_minutes_do_not_lock(client, auth, personas,
                                                                    monkeypatch):
    start = utcnow()
    for attempt in range(12):
        now = start + timedelta(minutes=2 * attempt)
        monkeypatch.setattr(accounts, "utcnow", lambda now=now: now)
        auth.login("alice@dac11.test", "mauvais mot de passe")
    assert auth.login("alice@dac11.test").status_code == 302


def test_an_unknown_address_locks_exactly_like_a_real_one(client, auth, personas):
    """Otherwise the lock itself would reveal which addresses exist."""
    for email in ("alice@dac11.test", "ghost@dac11.test"):
        for _ in range(10):
            auth.login(email, "mauvais mot de passe")
    real = auth.login("alice@dac11.test", "mauvais mot de passe")
    ghost = auth.login("ghost@dac11.test", "mauvais mot de passe")
    assert without_csrf_token(real.get_data(as_text=True)) == without_csrf_token(
        ghost.get_data(as_text=True).replace("ghost@dac11.test", "alice@dac11.test"))


def without_csrf_token(page: str) -> str:
    """The form's token is signed with a timestamp, so it differs from second to second."""
    return re.sub(r'(name="csrf_token"[^>]*?) value="[^"]*"', r"\1", page)


def test_a_successful_login_clears_earlier_failures(client, auth, personas):
    for _ in range(9):
        auth.login("alice@dac11.test", "mauvais mot de passe")
    assert auth.login("alice@dac11.test").status_code == 302
    auth.logout()
    for _ in range(9):
        auth.login("alice@dac11.test", "mauvais mot de passe")
    assert auth.login("alice@dac11.test").status_code == 302


def test_a_user_changes_their_password_and_weak_ones_are_refused(client, auth, personas):
    auth.login("alice@dac11.test")
    weak = client.post("/mon-compte", data={"current_password": PASSWORD,
                                            "new_password": "azerty123456",
                                            "csrf_token": csrf_token(client, "/mon-compte")})
    assert weak.status_code == 422
    assert "les plus courants" in weak.get_data(as_text=True)
    ok = client.post("/mon-compte", data={"current_password": PASSWORD,
                                          "new_password": "Les figues de Limoux sont mûres",
                                          "csrf_token": csrf_token(client, "/mon-compte")})
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("alice@dac11.test").status_code == 401
    assert auth.login("alice@dac11.test", "Les figues de Limoux sont mûres").status_code == 302


def test_a_newline_in_next_is_refused_not_a_crash(client, personas):
    response = client.post("/connexion?next=/%0Aevil", data={
        "email": "alice@dac11.test", "password": PASSWORD, "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_a_new_password_ends_the_other_sessions_and_tokens(client, app, auth, personas):
    from tests.conftest import Auth

    other = app.test_client()
    Auth(other).login("alice@dac11.test")
    headers = auth.token("alice@dac11.test")
    auth.login("alice@dac11.test")
    response = client.post("/mon-compte", data={
        "current_password": PASSWORD, "new_password": "Les figues de Limoux sont mûres",
        "csrf_token": csrf_token(client, "/mon-compte")})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this browser stays signed in
    assert other.get("/").status_code == 302
    assert client.get("/api/v1/organisations", headers=headers).status_code == 401


def test_guessing_the_current_password_counts_towards_the_lock_out(client, auth, personas):
    auth.login("alice@dac11.test")
    for _ in range(10):
        client.post("/mon-compte", data={"current_password": "devine", "new_password":
                                         "Les figues de Limoux sont mûres",
                                         "csrf_token": csrf_token(client, "/mon-compte")})
    response = client.post("/mon-compte", data={
        "current_password": PASSWORD, "new_password": "Les figues de Limoux sont mûres",
        "csrf_token": csrf_token(client, "/mon-compte")})
    assert response.status_code == 422
    assert "suspendue" in response.get_data(as_text=True)
