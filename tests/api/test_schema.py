"""The OpenAPI schema: served, valid, and describing every endpoint and error."""

from __future__ import annotations

import pytest
from drf_spectacular.validation import validate_schema

from tests.helpers import API

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("/api/nanobanana/assets/", "get"),
    ("/api/nanobanana/assets/", "post"),
    ("/api/nanobanana/assets/{id}/", "get"),
    ("/api/nanobanana/assets/{id}/", "patch"),
    ("/api/nanobanana/assets/{id}/", "delete"),
    ("/api/nanobanana/assets/{id}/regenerate/", "post"),
    ("/api/nanobanana/assets/{id}/edit/", "post"),
    ("/api/nanobanana/assets/{id}/overlay/", "put"),
    ("/api/nanobanana/assets/{id}/overlay/", "patch"),
    ("/api/nanobanana/assets/{id}/revert/", "post"),
    ("/api/nanobanana/assets/{id}/versions/", "get"),
    ("/api/nanobanana/assets/{id}/describe/", "get"),
    ("/api/nanobanana/assets/{id}/describe/", "post"),
    ("/api/nanobanana/assets/{id}/accept-description/", "post"),
    ("/api/nanobanana/versions/{id}/", "get"),
    ("/api/nanobanana/versions/{id}/cancel/", "post"),
    ("/api/nanobanana/references/", "post"),
    ("/api/nanobanana/usage/", "get"),
    ("/api/nanobanana/models/", "get"),
}


@pytest.fixture
def schema(client):
    response = client.get(f"{API}/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3_with_every_operation(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    found = {
        (path, method)
        for path, item in schema["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert found == OPERATIONS
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_operation_documents_its_errors_in_the_one_shape(schema):
    error_ref = "#/components/schemas/Error"
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"401", "403"} <= set(responses), (path, method)
            if "{id}" in path:
                assert "404" in responses, (path, method)
            if method in ("post", "put", "patch") or path.endswith("/assets/"):
                assert "400" in responses or path.endswith("/cancel/"), (path, method)
            for code, response in responses.items():
                assert response.get("description"), (path, method, code)
                if code.startswith(("4", "5")):
                    ref = response["content"]["application/json"]["schema"]["$ref"]
                    assert ref == error_ref, (path, method, code)
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    assert parameter.get("description"), (path, method, parameter["name"])
    generation = (
        "/api/nanobanana/assets/",
        "/api/nanobanana/assets/{id}/regenerate/",
        "/api/nanobanana/assets/{id}/edit/",
    )
    for path in generation:
        responses = schema["paths"][path]["post"]["responses"]
        assert {"202", "402", "422", "429", "503"} <= set(responses), path
        names = {
            p["name"] for p in schema["paths"][path]["post"]["parameters"] if p["in"] == "header"
        }
        assert "Idempotency-Key" in names


def test_schema_leaves_out_other_views_and_itself(schema):
    assert all(path.startswith("/api/nanobanana/") for path in schema["paths"])
    assert "/api/nanobanana/schema/" not in schema["paths"]
