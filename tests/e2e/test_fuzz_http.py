"""Fuzzing: schemathesis over every operation of /openapi.json, with a token of each role, on
SQLite and PostgreSQL, all checks; and Hypothesis over signed webhook bodies and query strings.
Any 5xx, any answer the document does not describe, and any request the document allows but
the shapes refuse fails the run. The counts are printed (`-s`) for the record.

`positive_data_acceptance` is replaced by `shapes_accept_what_the_document_allows`: a request
the document allows may still be refused by a rule JSON Schema cannot say (a time in the past,
hours that overlap, an IANA zone name, a quote that expired), but never by the shapes' own
validation, which would mean the document is looser than the server."""

from __future__ import annotations

import collections
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.testclient import TestClient

from bookiji_core.errors import InvalidInput
from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services
from bookiji_entry.http._spec import Operation
from bookiji_entry.http.openapi import operations
from bookiji_entry.problems import EdgeError
from bookiji_entry.seed import fixed_token
from bookiji_entry.shapes import codec

EXAMPLES = 4  # per operation, role and mode: about 730 requests per database
ROLES = {
    "customer": fixed_token("cus_01"),
    "vendor": fixed_token("ven_kits_barber"),
    "admin": fixed_token("adm_ops"),
}
# Starting the synthetic traffic would fuzz SimCity's daemon, not the API.
SKIPPED = {("POST", "/api/simcity/power/on")}
DECLARED = {(op.method, op.path): op for op in operations()}
NOT_POSITIVE = [positive_data_acceptance]


def _shape_refusal(op: Operation, case: Any) -> str | None:
    """Why the declared shapes refuse the body or query the case sends, or None. (Path
    parameters travel percent-encoded, so the case's raw values are not what the server saw.)"""
    try:
        if op.query is not None:
            query = {k: str(v) for k, v in (case.query or {}).items()}
            codec.convert(query, op.query, strict=False)
        if op.body is not None and isinstance(case.body, dict):
            codec.convert(codec._integral(case.body), op.body)
    except (InvalidInput, EdgeError) as exc:
        return str(exc)
    return None


@schemathesis.check
def shapes_accept_what_the_document_allows(ctx: Any, response: Any, case: Any) -> bool | None:
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code not in (400, 422):
        return None
    op = DECLARED[(case.method.upper(), case.operation.path)]
    refused = _shape_refusal(op, case)
    if refused is not None:
        raise AssertionError(f"the document allows what the shapes refuse: {refused}")
    return None


@pytest.mark.slow
@pytest.mark.parametrize(
    "services", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_no_operation_answers_a_5xx_or_outside_its_document(services: Services) -> None:
    app = create_app(services)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, set[str]] = collections.defaultdict(set)
    counts: collections.Counter[str] = collections.Counter()
    with TestClient(app):
        for result in schema.get_all_operations():
            op = result.ok()
            if (op.method.upper(), op.path) in SKIPPED:
                continue
            for token in ROLES.values():
                for mode in GenerationMode:
                    _fuzz(op, token, mode, counts, failures)
    database = services.settings.database_url.split(":")[0]
    print(f"\nschemathesis on {database}: {dict(sorted(counts.items()))}")
    assert counts["5xx"] == 0
    assert not failures, "\n".join(f"{k}: {sorted(v)[:3]}" for k, v in failures.items())


def _fuzz(
    op: Any,
    token: str,
    mode: GenerationMode,
    counts: collections.Counter[str],
    failures: dict[str, set[str]],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        counts["requests"] += 1
        try:
            response = case.call_and_validate(
                headers={"Authorization": f"Bearer {token}"},
                excluded_checks=NOT_POSITIVE,
                additional_checks=[shapes_accept_what_the_document_allows],
            )
        except Exception as exc:  # a failed check: recorded, the run goes on
            text = str(exc).strip()
            if "5xx" in text or "Server error" in text:
                counts["5xx"] += 1
            failures[f"{op.method.upper()} {op.path}"].add(text[:600])
            return
        counts[f"{response.status_code // 100}xx"] += 1

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid: an operation without inputs
        assert mode is GenerationMode.NEGATIVE, f"{op.method.upper()} {op.path}"
    except Exception as exc:
        failures[f"{op.method.upper()} {op.path}"].add(f"hypothesis: {str(exc)[:300]}")
