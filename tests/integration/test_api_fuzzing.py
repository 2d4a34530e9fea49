"""Schemathesis against the app (WSGI, in process) with a coordinator's bearer token:
every documented operation, valid and invalid inputs, a bounded number of examples each.
No answer may be a server error, and every answer must match the OpenAPI document
(status, content type, body schema). One journey (a situation through a meeting, with
actions and a rupture) gives the low ids real objects, so that examples reach the deeper
code paths, not only 404s. All operations run in one test and one database transaction:
per-operation fixtures would cost more than the fuzzing itself."""

import contextlib

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.integration.journeys import situation_through_a_meeting  # noqa: E402

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 10  # per operation and mode: about 1,200 requests, a minute or two


def fuzz(operation, headers, mode):
    @given(operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate],
              report_multiple_bugs=False)
    def call(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    # Unsatisfiable: nothing to make invalid (no parameter, no body); positive covered it.
    with contextlib.suppress(Unsatisfiable):
        call()


def test_the_api_never_fails_and_always_answers_as_documented(app, client, auth, partnership,
                                                             personas):
    situation_through_a_meeting(client, auth, partnership)
    headers = auth.token("alice@dac11.test")
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, headers, mode)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: BLE001 - schemathesis raises a FailureGroup
                failures.append(f"{operation.method.upper()} {operation.path} ({mode.value}):"
                                f" {str(exc)[:1500]}")
    assert operations >= 55  # every documented operation (the drift test counts them)
    assert not failures, "\n\n".join(failures)
