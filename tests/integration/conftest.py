"""Fixtures shared by the situation tests: a coordinator's API token, an informed person,
an open situation (a test module may define its own of the same name)."""

import pytest

from tests.integration.test_persons_api import JEAN_PIERRE


@pytest.fixture
def coordinator(auth, personas):
    return auth.token("alice@dac11.test")


@pytest.fixture
def person_id(client, coordinator):
    person = client.post("/api/v1/persons", json=JEAN_PIERRE, headers=coordinator).get_json()
    client.post(f"/api/v1/persons/{person['id']}/consents",
                json={"kind": "information", "method": "oral"}, headers=coordinator)
    return person["id"]


@pytest.fixture
def situation(client, coordinator, person_id):
    response = client.post("/api/v1/situations", json={
        "person_id": person_id, "requester": {"name": "Dr Anne Pujol", "role": "médecin"}},
        headers=coordinator)
    assert response.status_code == 201
    return response.get_json()
