"""Deny by default: every route declares who may call it, and anonymous requests to
anything but the explicit public list are refused (login page, or 401 JSON for the API).
A new route without a policy makes these tests fail."""

import pytest
from werkzeug.routing import IntegerConverter

from coordination.web.access import policy_for

# The whole public surface. Adding to it is a security decision: review it.
# The API's description (document and French page) holds no data, only the contract that
# partners' software needs before it has a token. auth.second_factor only accepts a code
# for the account named in the signed cookie that a right password just set (and counts
# wrong codes towards that account's lock-out).
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.second_factor", "health.healthz",
                    "api.issue_token", "api.openapi_document", "api_docs.index"}


def _routes(app):
    adapter = app.url_map.bind("localhost")
    for rule in app.url_map.iter_rules():
        values = {name: (1 if isinstance(rule._converters[name], IntegerConverter) else "x")
                  for name in rule.arguments}
        if rule.endpoint == "static":
            values = {"filename": "css/app.css"}
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            yield rule.endpoint, method, adapter.build(rule.endpoint, values, method=method)


def test_every_route_declares_an_access_policy(app):
    missing = [rule.endpoint for rule in app.url_map.iter_rules()
               if policy_for(app, rule.endpoint) is None]
    assert missing == [], f"routes without @public or @allow(...): {missing}"


def test_the_public_routes_are_exactly_the_reviewed_list(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules()
              if (policy := policy_for(app, rule.endpoint)) is not None and policy.public}
    assert public == PUBLIC_ENDPOINTS


def test_anonymous_requests_to_every_non_public_route_are_refused(app, client):
    checked = 0
    for endpoint, method, path in _routes(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(path, method=method)
        checked += 1
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
            assert response.get_json()["error"]["code"] == "unauthorized"
        elif method == "GET":
            assert response.status_code == 302, (method, path)
            assert response.headers["Location"].startswith("/connexion"), (method, path)
        else:
            # A form post without a session is refused before it can change anything.
            assert response.status_code in (302, 400), (method, path)
    assert checked >= 5


def test_a_route_added_without_a_policy_is_refused_to_everyone(app, auth, personas):
    app.add_url_rule("/oubli", "forgotten", lambda: "leak")
    client = app.test_client()
    assert client.get("/oubli").status_code == 302
    from tests.conftest import Auth

    Auth(client).login(personas["admin"].email)
    assert client.get("/oubli").status_code == 403


@pytest.mark.parametrize("persona", ["coordinator", "csapa_partner", "manager"])
def test_administration_pages_are_refused_to_other_roles(client, auth, personas, persona):
    auth.login(personas[persona].email)
    for path in ("/admin/organisations", "/admin/utilisateurs", "/admin/audit"):
        assert client.get(path).status_code == 403, path


def test_the_health_check_is_public_and_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}
