"""Schemathesis against the app's own OpenAPI document: requests generated from it (valid ones,
and ones that break it) to every operation, bounded, with zero server errors and zero responses
that break the document.

The operations are driven through Hypothesis strategies rather than schemathesis's pytest
loader, which pytest 9 no longer runs.
"""

from __future__ import annotations

import contextvars
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from pwa.devices import enrol_device
from pwa.extensions import db
from pwa.models import Patient, User

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]  # fmt: skip
OPERATIONS = ["POST /devices", "DELETE /devices/current", "POST /sync", "POST /sync/held",
              "GET /push/key",
              "POST /push/subscriptions", "DELETE /push/subscriptions"]  # fmt: skip


def test_the_document_lists_every_operation_tested(app: Flask) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    found = {result.ok().label for result in schema.get_all_operations()}
    assert found == set(OPERATIONS)


@pytest.mark.parametrize("label", OPERATIONS)
def test_the_api_answers_as_its_document_says(
    label: str, app: Flask, worker: User, patient: Patient
) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operation = schema.find_operation_by_label(label)
    assert operation is not None
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                      operation.as_strategy(GenerationMode.NEGATIVE))  # fmt: skip

    @settings(max_examples=40, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=cases)
    def answer(case: Any) -> None:
        # A fresh device each time: one generated request may sign the last one out.
        _, token = enrol_device(worker, "Schemathesis")
        db.session.commit()
        # Each request in a context of its own, as a real one has (see CheckedClient).
        # Uncompressed: the WSGI client decodes no Brotli (test_production.py tests that).
        headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
        contextvars.Context().run(case.call_and_validate, headers=headers, checks=CHECKS)

    answer()
