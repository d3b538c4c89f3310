"""The OpenAPI schema matches the answers (issue 8): Schemathesis generates requests from the
live schema (/api/schema/, drf-spectacular) for every operation, valid and invalid, sends
them to the Django application (WSGI, in process, on the test database) as staff and as a
villager, and checks every answer: no 5xx, and the body conforms to the schema of its
status. Derandomized (the same cases every run), no deadline, no shrinking: a bounded
budget of cases (figures in docs/security.md)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api_world import build_api_world

pytestmark = pytest.mark.django_db

# Examples per operation and generation mode (valid, then invalid input), per role.
EXAMPLES = 5
# Operations left out, each with its reason (none today).
EXCLUDED: dict[str, str] = {}
CHECKS = [not_a_server_error, response_schema_conformance]


@contextmanager
def _in_test_transaction():
    """As Django's test client does: a request must not close the connection that holds the
    test's transaction (close_old_connections runs on request_started/finished)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _fuzz(role: str) -> tuple[int, int, list[str]]:
    world = build_api_world()
    # identity: the in-process WSGI client does not undo GZipMiddleware.
    auth = {"Authorization": f"Token {world.tokens[role]}", "Accept-Encoding": "identity"}
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", WSGIHandler(), headers=auth)
    cases = 0
    operations = 0
    failures: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        if label in EXCLUDED:
            continue
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                nonlocal cases
                cases += 1
                response = case.call(headers=auth)
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                # No invalid request exists for an operation without parameters or body.
                continue
            except (Exception, BaseExceptionGroup) as exc:  # Schemathesis' FailureGroup
                failures.append(f"{label} [{mode}]: {str(exc)[:3000]}")
    return cases, operations, failures


@pytest.mark.parametrize("role", ["staff", "villager"])
def test_every_answer_matches_the_schema_and_none_is_a_server_error(role):
    with _in_test_transaction():
        cases, operations, failures = _fuzz(role)
    print(f"schemathesis {role}: {cases} cases, {operations} operations, {len(failures)} failed")
    assert not failures, "\n\n".join(failures)
    assert operations >= 60
    # Both roles together: at least 1,000 cases (issue 8).
    assert cases >= 500, cases
