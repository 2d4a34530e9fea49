"""CSRF on every form, no state change on GET, security headers, French error pages
without stack traces."""

import pytest

from tests.conftest import PASSWORD, csrf_token


def test_pages_carry_the_security_headers(client):
    headers = client.get("/connexion").headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_pages_hold_no_inline_script_or_style(client, auth, personas):
    auth.login(personas["admin"].email)
    for path in ("/", "/admin/utilisateurs", "/admin/organisations", "/mon-compte"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>" not in page and " style=" not in page and "onclick" not in page, path


def test_authenticated_pages_are_not_stored_by_the_browser(client, auth, personas):
    auth.login("alice@dac11.test")
    assert client.get("/").headers["Cache-Control"] == "no-store"


def test_static_assets_are_vendored_and_served_locally(client):
    page = client.get("/connexion").get_data(as_text=True)
    assert "http://" not in page.replace("http://www.w3.org", "") and "https://" not in page
    assert client.get("/static/css/app.css").status_code == 200
    assert client.get("/static/js/app.js").status_code == 200


def test_a_login_form_without_csrf_token_is_refused(client, personas):
    response = client.post("/connexion", data={"email": "alice@dac11.test",
                                               "password": PASSWORD})
    assert response.status_code == 400
    assert "formulaire a expiré" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/admin/organisations", "/admin/utilisateurs", "/admin/audit",
                                  "/mon-compte", "/admin/utilisateurs/1/activation"])
def test_every_admin_form_refuses_a_post_without_csrf_token(client, auth, personas, path):
    auth.login(personas["admin"].email)
    response = client.post(path, data={"name": "Piège", "type": "dac"})
    assert response.status_code == 400


def test_get_requests_change_nothing(client, auth, personas, db_session, app):
    """Walk every GET page as an admin: users and organisations are untouched."""
    from sqlalchemy import func, select

    from coordination.models import Organisation, User

    def snapshot():
        db_session.expire_all()
        return (db_session.scalar(select(func.count()).select_from(User)),
                db_session.scalar(select(func.count()).select_from(Organisation)),
                [(u.id, u.full_name, u.is_enabled, u.password_hash)
                 for u in db_session.scalars(select(User).order_by(User.id))])

    auth.login(personas["admin"].email)
    before = snapshot()
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments and rule.endpoint != "auth.logout":
            client.get(rule.rule)
    assert snapshot() == before


def test_a_missing_page_is_a_french_404_page(client):
    response = client.get("/nulle-part")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_an_unexpected_error_shows_a_french_page_without_a_stack_trace(app, client, auth,
                                                                      personas):
    from coordination.web.access import allow

    @allow()
    def explode():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/boom", "boom", explode)
    auth.login("alice@dac11.test")
    response = client.get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "erreur inattendue" in text and "secret internal detail" not in text
    assert "Traceback" not in text


def test_an_unexpected_api_error_is_json_without_details(app, client, auth, personas):
    from coordination.web.access import allow

    @allow()
    def explode():
        raise RuntimeError("secret internal detail")

    app.add_url_rule("/api/v1/boom", "api_boom", explode)
    response = client.get("/api/v1/boom", headers=auth.token("alice@dac11.test"))
    assert response.status_code == 500
    assert response.get_json()["error"]["code"] == "internal_error"
    assert "secret" not in response.get_data(as_text=True)


def test_the_session_expiry_login_form_keeps_typed_email_on_failure(client, personas):
    response = client.post("/connexion", data={"email": "alice@dac11.test", "password": "x",
                                               "csrf_token": csrf_token(client)})
    assert 'value="alice@dac11.test"' in response.get_data(as_text=True)
