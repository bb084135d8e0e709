"""/openapi.json is a valid OpenAPI 3.1 document that describes every route the app serves."""

from __future__ import annotations

import re
from typing import Any

from openapi_spec_validator import validate
from starlette.routing import Route
from starlette.testclient import TestClient

from bookiji_entry.app import create_app
from bookiji_entry.bootstrap import Services
from bookiji_entry.http.openapi import PROBLEM_RESPONSES
from bookiji_entry.problems import PROBLEMS


def test_the_served_document_is_valid_openapi_3_1(client: TestClient) -> None:
    response = client.get("/openapi.json")

    assert response.status_code == 200
    document = response.json()
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"] == "3.1.0"
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": document["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def test_every_route_of_the_app_is_documented_with_its_methods(
    services: Services, openapi: dict[str, Any]
) -> None:
    served = {
        (route.path, method.lower())
        for route in create_app(services).routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }

    documented = {(path, method) for path, item in openapi["paths"].items() for method in item}

    assert served == documented


def test_every_documented_operation_declares_its_errors_as_problems(
    openapi: dict[str, Any],
) -> None:
    for path, item in openapi["paths"].items():
        for method, operation in item.items():
            secured = operation.get("security", openapi["security"]) != []
            statuses = set(operation["responses"])
            if secured:
                assert "401" in statuses, (method, path)
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    ref = response["$ref"]
                    name = ref.rsplit("/", 1)[1]
                    content = openapi["components"]["responses"][name]["content"]
                    assert list(content) == ["application/problem+json"], (method, path, status)


def test_the_problem_responses_list_every_code_of_the_table_under_its_status(
    openapi: dict[str, Any],
) -> None:
    responses = openapi["components"]["responses"]
    for code, (status, _title) in PROBLEMS.items():
        carriers = [
            name
            for name, number in PROBLEM_RESPONSES.items()
            if number == status and re.search(rf"\b{code}\b", responses[name]["description"])
        ]
        assert carriers, f"{code} ({status}) is in no problem response"


def test_a_problem_body_matches_the_published_problem_schema(
    client: TestClient, conforms: Any
) -> None:
    response = client.post("/api/quote", content=b"{")

    conforms("Problem", response.json())
