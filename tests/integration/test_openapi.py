"""The OpenAPI document cannot drift from the code: every /api/v1 rule is documented,
nothing documented is missing, and real responses validate against its schemas."""

import re

import pytest
from jsonschema import Draft202012Validator

from coordination.web.api.openapi import documented_operations, openapi_path
from tests.integration.journeys import situation_through_a_meeting

IGNORED_METHODS = {"HEAD", "OPTIONS"}


def api_rules(app):
    return {(rule.rule, method) for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/api/v1/")
            for method in rule.methods - IGNORED_METHODS}


def test_every_api_route_is_documented_and_every_documented_route_exists(app):
    routes, documented = api_rules(app), documented_operations()
    assert routes - documented == set(), "routes missing from coordination/web/api/openapi.py"
    assert documented - routes == set(), "documented operations that no route serves"


def test_the_document_is_served_without_a_token_and_is_well_formed(client, app):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for name, schema in document["components"]["schemas"].items():
        Draft202012Validator.check_schema(schema), name
    paths = {(path, method.upper()) for path, ops in document["paths"].items()
             for method in ops}
    assert paths == {(openapi_path(rule), method) for rule, method in api_rules(app)}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            names = set(re.findall(r"{(\w+)}", path))
            declared = {p["name"] for p in operation.get("parameters", ())
                        if p["in"] == "path"}
            assert names == declared, (method, path)
            assert operation["operationId"] and operation["summary"]
            assert "default" in operation["responses"]


def _schema_for(document, path, method, status, content="application/json"):
    responses = document["paths"][path][method.lower()]["responses"]
    response = responses.get(str(status)) or responses["default"]
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    return {**response["content"][content]["schema"], "components": document["components"]}


def conforms(document, response, path, method="GET"):
    """The response's body matches the document's schema for this operation and status."""
    content = response.mimetype if response.mimetype.endswith("json") else None
    if response.status_code == 204 or content is None:
        return
    schema = _schema_for(document, path, method, response.status_code, content)
    errors = sorted(Draft202012Validator(schema).iter_errors(response.get_json()),
                    key=lambda e: e.path)
    assert not errors, f"{method} {path} {response.status_code}: " + "; ".join(
        f"{list(e.path)}: {e.message}" for e in errors[:5])


@pytest.fixture
def journey(client, auth, partnership, personas):
    return situation_through_a_meeting(client, auth, partnership)


def test_real_responses_match_the_documented_schemas(client, auth, journey, partnership):
    document = client.get("/api/v1/openapi.json").get_json()
    j = journey
    reads = {
        "/api/v1/organisations": {},
        "/api/v1/intake/schema": {},
        "/api/v1/ruptures/taxonomy": {},
        "/api/v1/directory/services": {"q": "cmp"},
        "/api/v1/directory/export/hsds": {},
        "/api/v1/directory/communes/{insee}/cmp": {"insee": "11069"},
        "/api/v1/calls": {}, "/api/v1/calls/motives": {},
        "/api/v1/persons": {"q": "durand"},
        "/api/v1/persons/{person_id}": {"person_id": j.person_id},
        "/api/v1/persons/{person_id}/duplicates": {"person_id": j.person_id},
        "/api/v1/situations": {},
        "/api/v1/situations/{situation_id}": {"situation_id": j.situation_id},
        "/api/v1/situations/{situation_id}/triages": {"situation_id": j.situation_id},
        "/api/v1/situations/{situation_id}/ruptures": {"situation_id": j.situation_id},
        "/api/v1/situations/{situation_id}/fhir": {"situation_id": j.situation_id},
        "/api/v1/actions": {}, "/api/v1/actions/{action_id}": {"action_id": j.action_ids[0]},
        "/api/v1/meetings": {}, "/api/v1/meetings/{meeting_id}": {"meeting_id": j.meeting_id},
        "/api/v1/meetings/{meeting_id}/agenda": {"meeting_id": j.meeting_id},
        "/api/v1/notifications": {},
        "/api/v1/ruptures/{rupture_id}": {"rupture_id": j.rupture_id},
        "/api/v1/rupture-candidates": {"status": "all"},
        "/api/v1/observatory/ruptures": {"group_by": "type,month"},
        "/api/v1/observatory/activity": {},
    }
    tokens = {email: auth.token(email) for email in (
        "alice@dac11.test", "bob@csapa.test", "emma@dac11.test")}
    checked = 0
    for template, values in reads.items():
        path = template.format(**values)
        query = {k: v for k, v in values.items() if "{" + k + "}" not in template}
        for headers in tokens.values():
            response = client.get(path, query_string=query, headers=headers)
            conforms(document, response, template)
            checked += response.status_code == 200
    documented_gets = {p for p, ops in document["paths"].items() if "get" in ops}
    skipped = documented_gets - set(reads)
    assert skipped == {"/api/v1/openapi.json", "/api/v1/calls/{call_id}",
                       "/api/v1/directory/services/{service_id}",
                       "/api/v1/meetings/{meeting_id}/agenda.pdf",
                       "/api/v1/meetings/{meeting_id}/minutes.pdf"}
    assert checked >= len(reads)


def test_errors_match_the_documented_error_format(client, auth, personas):
    document = client.get("/api/v1/openapi.json").get_json()
    coordinator = auth.token("alice@dac11.test")
    cases = [
        ("GET", "/api/v1/situations/{situation_id}", "/api/v1/situations/424242",
         coordinator, None, 404),
        ("GET", "/api/v1/actions", "/api/v1/actions?overdue=peut-etre", coordinator, None, 422),
        ("GET", "/api/v1/situations", "/api/v1/situations", {}, None, 401),
        ("GET", "/api/v1/observatory/ruptures", "/api/v1/observatory/ruptures",
         auth.token("bob@csapa.test"), None, 403),
        ("POST", "/api/v1/persons", "/api/v1/persons", coordinator, {"sex": "X"}, 422),
    ]
    for method, template, url, headers, body, status in cases:
        response = client.open(url, method=method, headers=headers, json=body)
        assert response.status_code == status, (url, response.get_json())
        conforms(document, response, template, method)


def test_the_documentation_page_lists_every_operation_in_french(client, app):
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert '<html lang="fr">' in page and "Documentation de l'API" in page
    for rule, method in api_rules(app):
        assert f"<code>{method} {openapi_path(rule)}</code>" in page, (method, rule)
    # served from our own assets only: no script, no CDN, the CSP untouched
    assert "<script src=\"/static/" in page and "https://" not in page.split("<body>")[0]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "<script>" not in page
    # names between backticks read as code, and a state's possible values are listed
    assert "`" not in page.split("<main")[1]
    assert "in_coordination" in page
