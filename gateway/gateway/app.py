"""The Flask app factory: `gunicorn -c gateway/gunicorn.conf.py 'gateway.app:create_app()'`."""
from __future__ import annotations

import os
import re

import flask
from flask_smorest import Api
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client import REGISTRY

from gorod_runtime import logs
from gateway import problems, settings as gateway_settings
from gateway.api import health
from gateway.upstreams import Upstreams

REQUESTS = Histogram(
    "gorod_gateway_request_seconds", "HTTP requests by route template and status",
    ["method", "route", "status"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
UPSTREAM_ERRORS = Counter("gorod_gateway_problems_total", "problem+json answers by code", ["code"])
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def create_app(settings: gateway_settings.GatewaySettings | None = None, upstreams: Upstreams | None = None) -> flask.Flask:
    settings = settings or gateway_settings.load()
    app = flask.Flask("gateway")
    app.config.update(
        API_TITLE="Gorod API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=1024 * 1024,
    )
    app.json.ensure_ascii = False
    app.extensions["gorod.settings"] = settings
    app.extensions["gorod.upstreams"] = upstreams or Upstreams(settings.upstreams, settings.deadline_s)

    api = Api(app)
    api.spec.components.schema("Problem", schema=problems.ProblemSchema)
    api.register_blueprint(health.blp)
    problems.register(app)
    # flask-smorest answers errors as application/json; every error here is problem+json.
    api.handle_http_exception = problems.http_problem

    @app.before_request
    def request_id():
        incoming = flask.request.headers.get("X-Request-ID", "")
        flask.g.request_id = logs.set_correlation_id(incoming if _REQUEST_ID.match(incoming) else "")
        flask.g.started = _now()

    @app.after_request
    def finish(response):
        response.headers["X-Request-ID"] = flask.g.get("request_id", "")
        route = flask.request.url_rule.rule if flask.request.url_rule else "unmatched"
        REQUESTS.labels(flask.request.method, route, response.status_code).observe(_now() - flask.g.get("started", _now()))
        if response.mimetype == problems.PROBLEM_MEDIA_TYPE:
            UPSTREAM_ERRORS.labels(flask.json.loads(response.get_data()).get("code", "")).inc()
        return response

    @app.get("/metrics")
    def metrics():
        if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        else:
            registry = REGISTRY
        return flask.Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)

    return app


def _now() -> float:
    import time

    return time.perf_counter()
