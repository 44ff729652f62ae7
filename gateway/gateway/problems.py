"""Errors as application/problem+json (RFC 9457) with a stable `code`."""
from __future__ import annotations

from flask import Response, json
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from gorod_runtime import logs

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    def __init__(self, status: int, code: str, detail: str, field: str = "", errors: dict | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.field, self.errors = status, code, detail, field, errors


class ProblemSchema(Schema):
    type = fields.String(metadata={"description": "URI naming the problem type"})
    title = fields.String()
    status = fields.Integer()
    code = fields.String(metadata={"description": "stable machine-readable code"})
    detail = fields.String()
    field = fields.String()
    errors = fields.Dict(metadata={"description": "per-field validation messages"})
    request_id = fields.String()


def problem_response(problem: Problem) -> Response:
    body = {
        "type": f"https://gorod.example/problems/{problem.code}",
        "title": problem.code,
        "status": problem.status,
        "code": problem.code,
        "detail": problem.detail,
        "request_id": logs.get_correlation_id(),
    }
    if problem.field:
        body["field"] = problem.field
    if problem.errors:
        body["errors"] = problem.errors
    return Response(json.dumps(body, ensure_ascii=False), status=problem.status, mimetype=PROBLEM_MEDIA_TYPE)


def http_problem(error: HTTPException) -> Response:
    """Flask/werkzeug HTTP errors (404, 405, webargs' 422...) in the same shape."""
    errors = None
    data = getattr(error, "data", None) or {}
    if "messages" in data:
        errors = data["messages"]
    code = {400: "request.bad", 404: "request.not_found", 405: "request.method_not_allowed",
            413: "request.too_large", 415: "request.unsupported_media_type", 422: "request.invalid",
            429: "request.rate_limited"}.get(error.code, f"http.{error.code}")
    return problem_response(Problem(error.code or 500, code, error.description or error.name, errors=errors))


def register(app) -> None:
    app.register_error_handler(Problem, problem_response)
    app.register_error_handler(HTTPException, http_problem)

    @app.errorhandler(Exception)
    def internal(error):  # the cause goes to the log, never to the client
        app.logger.exception("unhandled error")
        return problem_response(Problem(500, "internal", "internal error"))
