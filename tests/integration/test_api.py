"""The JSON API's conventions: bearer tokens, one error format, paginated lists."""

from datetime import timedelta

from sqlalchemy import select

from coordination.db import utcnow
from coordination.models import ApiToken
from coordination.services import accounts
from tests.conftest import PASSWORD


def error_of(response):
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message", "details"} <= set(body["error"])
    return body["error"]


def test_a_token_is_issued_for_valid_credentials_and_works_as_bearer(client, personas):
    response = client.post("/api/v1/auth/token",
                           json={"email": "alice@dac11.test", "password": PASSWORD})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"token", "expires_at"}
    listing = client.get("/api/v1/organisations",
                         headers={"Authorization": f"Bearer {body['token']}"})
    assert listing.status_code == 200


def test_tokens_are_stored_hashed(client, db_session, auth, personas):
    headers = auth.token("alice@dac11.test")
    raw = headers["Authorization"].split()[1]
    stored = db_session.scalars(select(ApiToken.token_hash)).all()
    assert raw not in stored and len(stored) == 1 and len(stored[0]) == 64


def test_an_expired_token_is_refused(client, auth, personas, monkeypatch):
    headers = auth.token("alice@dac11.test")
    later = utcnow() + timedelta(hours=13)
    monkeypatch.setattr(accounts, "utcnow", lambda: later)
    response = client.get("/api/v1/organisations", headers=headers)
    assert response.status_code == 401


def test_disabling_an_account_revokes_its_tokens(client, db_session, auth, personas):
    headers = auth.token("alice@dac11.test")
    accounts.set_user_enabled(db_session, None, personas["coordinator"], False)
    assert client.get("/api/v1/organisations", headers=headers).status_code == 401


def test_bad_credentials_answer_401_with_the_same_message_as_an_unknown_address(client,
                                                                                 personas):
    wrong = client.post("/api/v1/auth/token", json={"email": "alice@dac11.test",
                                                    "password": "pas le bon"})
    unknown = client.post("/api/v1/auth/token", json={"email": "x@y.test", "password": "z"})
    assert wrong.status_code == unknown.status_code == 401
    assert error_of(wrong)["message"] == error_of(unknown)["message"]


def test_the_api_ignores_session_cookies(client, auth, personas):
    auth.login("alice@dac11.test")
    assert client.get("/api/v1/organisations").status_code == 401


def test_a_garbage_bearer_token_is_401_with_a_challenge(client):
    response = client.get("/api/v1/organisations", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert error_of(response)["code"] == "unauthorized"


def test_malformed_json_is_400(client):
    response = client.post("/api/v1/auth/token", data="{not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


def test_a_json_array_instead_of_an_object_is_400(client):
    assert client.post("/api/v1/auth/token", json=["a"]).status_code == 400


def test_a_body_that_is_not_json_is_415(client):
    response = client.post("/api/v1/auth/token", data="email=a&password=b",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_missing_fields_are_422_per_field(client):
    response = client.post("/api/v1/auth/token", json={"email": 42})
    assert response.status_code == 422
    error = error_of(response)
    assert set(error["details"]["fields"]) == {"email", "password"}


def test_unknown_api_paths_are_404_json(client, auth, personas):
    response = client.get("/api/v1/nothing-here", headers=auth.token("alice@dac11.test"))
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_wrong_method_is_405_json_with_allow(client):
    response = client.get("/api/v1/auth/token")
    assert response.status_code == 405
    assert "POST" in response.headers["Allow"]
    assert error_of(response)["code"] == "method_not_allowed"


def test_organisations_list_is_paginated_with_the_contract_fields(client, auth, personas):
    headers = auth.token("alice@dac11.test")
    body = client.get("/api/v1/organisations?per_page=2&page=2", headers=headers).get_json()
    assert body["page"] == 2 and body["per_page"] == 2 and body["total"] == 4
    assert len(body["items"]) == 2
    first = body["items"][0]
    assert {"id", "name", "type", "is_health_professional_team"} <= set(first)
    siao = [o for o in client.get("/api/v1/organisations", headers=headers).get_json()["items"]
            if o["type"] == "siao"][0]
    assert siao["is_health_professional_team"] is False


def test_bad_pagination_is_422_naming_the_parameter(client, auth, personas):
    response = client.get("/api/v1/organisations?per_page=100000",
                          headers=auth.token("alice@dac11.test"))
    assert response.status_code == 422
    assert "per_page" in error_of(response)["details"]["fields"]


def test_the_token_endpoint_applies_the_same_lock_out_as_the_login_page(client, personas):
    for _ in range(10):
        client.post("/api/v1/auth/token", json={"email": "alice@dac11.test", "password": "x"})
    response = client.post("/api/v1/auth/token",
                           json={"email": "alice@dac11.test", "password": PASSWORD})
    assert response.status_code == 401


def test_api_responses_are_never_cached(client):
    assert client.get("/api/v1/organisations").headers["Cache-Control"] == "no-store"


def test_odd_unicode_digits_in_pagination_are_422_not_500(client, auth, personas):
    response = client.get("/api/v1/organisations?page=%C2%B2",
                          headers=auth.token("alice@dac11.test"))
    assert response.status_code == 422


def test_lone_surrogates_in_json_are_422_naming_the_field(client):
    response = client.post("/api/v1/auth/token", data='{"email": "\\ud800", "password": "x"}',
                           content_type="application/json")
    assert response.status_code == 422
    assert "email" in error_of(response)["details"]["fields"]


def test_a_failed_token_request_says_authentication_failed(client, personas):
    response = client.post("/api/v1/auth/token", json={"email": "alice@dac11.test",
                                                       "password": "nope"})
    assert error_of(response)["code"] == "authentication_failed"
