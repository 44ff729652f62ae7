"""The Flask app factory. Production runs it through gateway/wsgi.py:
`gunicorn -c gateway/gunicorn.conf.py gateway.wsgi:app`."""
from __future__ import annotations

import contextvars
import logging
import os
import re
import time

import flask
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

from gateway import problems
from gateway import settings as gateway_settings
from gateway.api import health, meters
from gateway.upstreams import Upstreams
from gorod_runtime import logs

REQUEST_SECONDS = Histogram(
    "gorod_gateway_request_seconds", "HTTP requests by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
PROBLEMS = Counter("gorod_gateway_problems_total", "problem+json answers by code", ["code"])
# Clients choose the method; only these become label values (bounded cardinality).
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
log = logging.getLogger("gateway.requests")


def create_app(
    settings: gateway_settings.GatewaySettings | None = None, upstreams: Upstreams | None = None
) -> flask.Flask:
    settings = settings or gateway_settings.load()
    app = flask.Flask(__name__)
    app.config.update(
        API_TITLE="Gorod API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.json.ensure_ascii = False
    app.extensions["gorod.settings"] = settings
    app.extensions["gorod.upstreams"] = upstreams or Upstreams(settings.upstreams, settings.deadline_s)

    api = problems.Api(app)
    api.register_blueprint(health.blp)
    api.register_blueprint(meters.blp)
    app.before_request(_start)
    app.after_request(_finish)
    app.add_url_rule("/metrics", "metrics", _metrics)

    # The request id lives in a context variable: a fresh context per request keeps it from
    # leaking into the next request (or gunicorn's own lines) on the same worker thread.
    wsgi_app = app.wsgi_app
    app.wsgi_app = lambda environ, start_response: contextvars.copy_context().run(wsgi_app, environ, start_response)
    return app


def _start() -> None:
    # A client's id is kept only if it is safe to log and to pass on; otherwise a new one.
    incoming = flask.request.headers.get("X-Request-ID", "")
    flask.g.request_id = logs.set_correlation_id(incoming if _REQUEST_ID.fullmatch(incoming) else "")
    flask.g.started = time.perf_counter()


def _finish(response: flask.Response) -> flask.Response:
    request = flask.request
    response.headers["X-Request-ID"] = flask.g.get("request_id") or logs.get_correlation_id()
    method = request.method if request.method in _METHODS else "other"
    route = request.url_rule.rule if request.url_rule else "unmatched"  # the template, never the path
    seconds = time.perf_counter() - flask.g.get("started", time.perf_counter())
    REQUEST_SECONDS.labels(method, route, response.status_code).observe(seconds)
    code = flask.g.get("problem_code")
    if code:
        PROBLEMS.labels(code).inc()
    log.info("%s %s %s", method, route, response.status_code,
             extra={"status": response.status_code, "ms": round(seconds * 1000, 1), "problem": code or ""})
    return response


def _metrics() -> flask.Response:
    # Under gunicorn every worker writes its samples to PROMETHEUS_MULTIPROC_DIR; sum them all.
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return flask.Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
