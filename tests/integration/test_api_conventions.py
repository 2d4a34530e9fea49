"""DESIGN §8's conventions, checked over the whole API rather than endpoint by endpoint:
every list pages alike, mutable resources carry an ETag that If-Match checks, every
error has one shape, and the token endpoint is rate limited per client address."""

from dataclasses import replace

import pytest

from coordination.app import create_app
from tests.conftest import PASSWORD
from tests.integration.journeys import situation_through_a_meeting


@pytest.fixture
def journey(client, auth, partnership, personas):
    return situation_through_a_meeting(client, auth, partnership)


def error_of(response):
    body = response.get_json()
    assert set(body) >= {"error"}
    assert set(body["error"]) == {"code", "message", "details"}, body
    assert isinstance(body["error"]["code"], str) and body["error"]["message"]
    return body["error"]


def documented_lists(document):
    """GET operations whose success is the paginated envelope."""
    for path, operations in document["paths"].items():
        get = operations.get("get")
        if not get:
            continue
        schema = get["responses"]["200"].get("content", {}).get("application/json", {}).get(
            "schema", {})
        if {"items", "page", "per_page", "total"} <= set(schema.get("properties", {})):
            yield path


def test_every_list_answers_items_page_per_page_and_total(client, auth, journey):
    document = client.get("/api/v1/openapi.json").get_json()
    values = {"situation_id": journey.situation_id, "person_id": journey.person_id,
              "insee": "11069"}
    lists = list(documented_lists(document))
    assert len(lists) >= 14
    coordinator = auth.token("alice@dac11.test")
    manager = auth.token("emma@dac11.test")
    for path in lists:
        url = path.format(**values)
        response = client.get(url, query_string={"per_page": 1, "page": 1},
                              headers=coordinator)
        if response.status_code == 403:
            response = client.get(url, query_string={"per_page": 1}, headers=manager)
        if "{insee}" in path and response.status_code == 404:
            continue  # the test database holds no communes; test_directory covers this one
        assert response.status_code == 200, (url, response.get_json())
        body = response.get_json()
        assert body["page"] == 1 and body["per_page"] == 1, url
        assert len(body["items"]) <= 1 and body["total"] >= len(body["items"]), url
        bad = client.get(url, query_string={"per_page": 0}, headers=coordinator)
        assert bad.status_code in (422, 403), url
        if bad.status_code == 422:
            assert "per_page" in error_of(bad)["details"]["fields"], url


def test_a_list_pages_through_all_its_items(client, auth, journey):
    coordinator = auth.token("alice@dac11.test")
    first = client.get("/api/v1/actions?per_page=1&page=1", headers=coordinator).get_json()
    second = client.get("/api/v1/actions?per_page=1&page=2", headers=coordinator).get_json()
    assert first["total"] == second["total"] == 2
    assert first["items"][0]["id"] != second["items"][0]["id"]
    # past the last page: no item, and still the total (counted apart: no row carries it)
    past = client.get("/api/v1/actions?per_page=1&page=3", headers=coordinator).get_json()
    assert past["items"] == [] and past["total"] == 2


@pytest.mark.parametrize("resource", ["situations", "actions", "persons", "meetings"])
def test_mutable_resources_carry_their_version_as_etag(client, auth, journey, resource):
    key = {"situations": journey.situation_id, "actions": journey.action_ids[1],
           "persons": journey.person_id, "meetings": journey.meeting_id}[resource]
    response = client.get(f"/api/v1/{resource}/{key}", headers=auth.token("alice@dac11.test"))
    assert response.headers["ETag"] == f'"{response.get_json()["version"]}"'


def test_a_stale_if_match_is_409_and_the_current_one_succeeds(client, auth, journey):
    coordinator = auth.token("alice@dac11.test")
    url = f"/api/v1/persons/{journey.person_id}"
    etag = client.get(url, headers=coordinator).headers["ETag"]
    stale = client.patch(url, json={"phone": "06 00 00 00 00"},
                         headers={**coordinator, "If-Match": '"999"'})
    assert stale.status_code == 409
    assert error_of(stale)["code"] == "stale_version"
    fresh = client.patch(url, json={"phone": "06 00 00 00 00"},
                         headers={**coordinator, "If-Match": etag})
    assert fresh.status_code == 200 and fresh.headers["ETag"] != etag
    action = f"/api/v1/actions/{journey.action_ids[1]}"
    stale_action = client.post(f"{action}/events/cancel", json={"reason": "plus utile"},
                               headers={**coordinator, "If-Match": '"999"'})
    assert stale_action.status_code == 409 and error_of(stale_action)


@pytest.mark.parametrize(("method", "url", "kwargs", "status", "code"), [
    ("GET", "/api/v1/nowhere", {}, 404, "not_found"),
    ("DELETE", "/api/v1/organisations", {}, 405, "method_not_allowed"),
    ("GET", "/api/v1/situations", {"headers": {}}, 401, "unauthorized"),
    ("POST", "/api/v1/calls", {"data": "x=1"}, 415, "unsupported_media_type"),
    ("POST", "/api/v1/calls", {"data": "{", "content_type": "application/json"}, 400,
     "bad_request"),
    ("GET", "/api/v1/situations?page=zero", {}, 422, "validation_failed"),
    ("GET", "/api/v1/observatory/ruptures", {}, 403, "forbidden"),
])
def test_every_error_has_the_same_shape(client, auth, personas, method, url, kwargs, status,
                                        code):
    headers = kwargs.pop("headers", auth.token("bob@csapa.test" if status == 403
                                               else "alice@dac11.test"))
    response = client.open(url, method=method, headers=headers, **kwargs)
    assert response.status_code == status
    assert response.mimetype == "application/json"
    assert error_of(response)["code"] == code


def test_the_token_endpoint_is_rate_limited_per_client_address(settings, session_factory,
                                                               personas):
    app = create_app(replace(settings, api_token_rate_limit=3), session_factory, TESTING=True)
    client = app.test_client()
    body = {"email": "alice@dac11.test", "password": PASSWORD}
    answers = [client.post("/api/v1/auth/token", json=body) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    refused = answers[-1]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert error_of(refused)["code"] == "too_many_requests"
    # another client address has its own count
    other = client.post("/api/v1/auth/token", json=body,
                        environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert other.status_code == 200


def test_rate_limited_requests_cost_no_password_check(settings, session_factory, personas,
                                                      monkeypatch):
    from coordination.services import accounts

    app = create_app(replace(settings, api_token_rate_limit=1), session_factory, TESTING=True)
    client = app.test_client()
    client.post("/api/v1/auth/token", json={"email": "x@y.test", "password": "z"})
    monkeypatch.setattr(accounts, "verify_password", lambda *a: pytest.fail("hashed"))
    response = client.post("/api/v1/auth/token", json={"email": "x@y.test", "password": "z"})
    assert response.status_code == 429
