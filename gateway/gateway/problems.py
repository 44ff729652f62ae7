"""Errors as application/problem+json (RFC 9457) with a stable `code` and the request id.

Every error answer has this one shape: werkzeug's HTTP errors (404, 405, 413, webargs' 422...),
a Problem raised by a view or by Upstreams.call, and any unhandled exception.
"""
from __future__ import annotations

import http
import logging

import flask
import flask_smorest
from marshmallow import Schema, fields
from werkzeug.exceptions import HTTPException

from gorod_runtime import logs

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Stable codes of the errors werkzeug and webargs raise; any other status gets "http.<status>".
HTTP_CODES = {
    400: "request.bad",
    401: "request.unauthenticated",
    403: "request.forbidden",
    404: "request.not_found",
    405: "request.method_not_allowed",
    406: "request.not_acceptable",
    409: "request.conflict",
    412: "request.precondition_failed",
    413: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.invalid",
    428: "request.precondition_required",
    429: "request.rate_limited",
    500: "internal",
}

log = logging.getLogger("gateway.problems")


class Problem(Exception):
    """An error answer: HTTP status, stable code, English detail; optionally the request field
    at fault, per-field messages and extra headers (Allow, Retry-After...)."""

    def __init__(self, status: int, code: str, detail: str, field: str = "", errors: dict | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.field = status, code, detail, field
        self.errors, self.headers = errors, headers or {}


class ProblemSchema(Schema):
    type = fields.String(required=True, metadata={"description": "URI naming the problem type"})
    title = fields.String(required=True, metadata={"description": "HTTP status phrase"})
    status = fields.Integer(required=True, metadata={"description": "HTTP status code"})
    code = fields.String(required=True, metadata={"description": "stable machine-readable code, e.g. request.invalid"})
    detail = fields.String(metadata={"description": "explanation for people: Russian on the residents' endpoints, else English"})
    field = fields.String(metadata={"description": "the request field at fault, if any"})
    errors = fields.Dict(metadata={"description": "validation messages by location and field"})
    request_id = fields.String(required=True, metadata={"description": "the X-Request-ID of the request"})


# Per blueprint, the people-facing text by stable code (residents' endpoints: Russian); a
# blueprint registers its table with `messages_for`. Codes without a text keep their detail.
MESSAGES_EXTENSION = "gorod.messages"


def messages_for(blueprint, messages: dict[str, str]) -> None:
    """Answer the errors of `blueprint`'s views (its own, the services', webargs' 422) in these texts."""
    blueprint.record_once(lambda state: state.app.extensions.setdefault(MESSAGES_EXTENSION, {}).update(
        {blueprint.name: messages}))


def _localized(problem: Problem) -> str:
    if not flask.has_request_context() or not flask.request.blueprint:
        return problem.detail
    messages = flask.current_app.extensions.get(MESSAGES_EXTENSION, {}).get(flask.request.blueprint, {})
    return messages.get(problem.code, problem.detail)


def problem_response(problem: Problem) -> flask.Response:
    flask.g.problem_code = problem.code  # counted in gorod_gateway_problems_total
    problem.detail = _localized(problem)
    body = {
        "type": f"https://gorod.example/problems/{problem.code}",
        "title": http.HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "code": problem.code,
        "detail": problem.detail,
        "request_id": logs.get_correlation_id(),
    }
    if problem.field:
        body["field"] = problem.field
    if problem.errors:
        body["errors"] = problem.errors
    response = flask.Response(flask.json.dumps(body), status=problem.status, mimetype=PROBLEM_MEDIA_TYPE)
    response.headers.update(problem.headers)
    return response


def http_problem(error: HTTPException) -> flask.Response:
    """werkzeug's HTTP errors; flask-smorest's abort() and webargs' 422 put their message,
    per-field messages and headers in `error.data`."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    # Keep what the error says about itself (Allow on 405, Retry-After...), not its HTML type.
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    headers.update(data.get("headers") or {})
    return problem_response(Problem(
        status, HTTP_CODES.get(status, f"http.{status}"), data.get("message") or error.description or error.name,
        errors=data.get("messages") or data.get("errors"), headers=headers,
    ))


def unhandled(error: Exception) -> flask.Response:
    # The cause goes to the log, never to the client.
    log.error("unhandled error", exc_info=error)
    return problem_response(Problem(500, "internal", "internal error"))


def _documented(description: str) -> dict:
    return {"description": description, "content": {PROBLEM_MEDIA_TYPE: {"schema": ProblemSchema}}}


class Api(flask_smorest.Api):
    """flask-smorest's Api, answering and documenting every error as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs=spec_kwargs)  # registers handle_http_exception for HTTPException
        app.register_error_handler(Problem, problem_response)
        app.register_error_handler(Exception, unhandled)

    def handle_http_exception(self, error: HTTPException):
        # flask-smorest's own handler answers {"code", "status", "message"} as application/json.
        return http_problem(error)

    def _register_responses(self):
        # flask-smorest (0.47) documents its error responses as application/json with its own
        # schema; ours are problem+json. Every operation's `default` response refers to
        # DEFAULT_ERROR_RESPONSE_NAME, and alt_response(404, "NOT_FOUND") to the named ones.
        self.spec.components.schema("Problem", schema=ProblemSchema)
        for status in http.HTTPStatus:
            if status >= 400:
                self.spec.components.response(status.name, _documented(status.phrase), lazy=True)
        self.spec.components.response(
            self.DEFAULT_ERROR_RESPONSE_NAME, _documented("Error, as application/problem+json"), lazy=True
        )
