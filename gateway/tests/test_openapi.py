"""The OpenAPI document: valid OpenAPI 3, with problem+json error responses."""
from __future__ import annotations

from openapi_spec_validator import validate


def test_openapi_json_is_valid_openapi_3(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json
    assert document["openapi"].startswith("3.")
    validate(document)


def test_every_operation_documents_the_problem_response(client):
    document = client.get("/api/v1/openapi.json").json

    # A path item also holds its path `parameters`; only the methods are operations.
    operations = [op for path in document["paths"].values() for key, op in path.items() if key != "parameters"]
    assert operations
    for operation in operations:
        assert operation["responses"]["default"] == {"$ref": "#/components/responses/DEFAULT_ERROR"}
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert default["content"] == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    problem = document["components"]["schemas"]["Problem"]
    assert {"type", "title", "status", "code", "request_id"} <= set(problem["required"])
