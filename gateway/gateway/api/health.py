"""Liveness and readiness."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import flask
from flask_smorest import Blueprint
from marshmallow import Schema, fields

blp = Blueprint("health", __name__, description="Liveness and readiness probes")
_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="readyz")


class HealthSchema(Schema):
    status = fields.String(required=True, metadata={"description": "ok, or unavailable"})
    upstreams = fields.Dict(keys=fields.String(), values=fields.String(),
                            metadata={"description": "service -> SERVING, NOT_SERVING or the gRPC error"})


@blp.route("/healthz")
@blp.response(200, HealthSchema)
def healthz():
    """The process is alive (no upstream is called)."""
    return {"status": "ok"}


@blp.route("/readyz")
@blp.response(200, HealthSchema)
@blp.alt_response(503, schema=HealthSchema, description="an upstream is not SERVING")
def readyz():
    """Ready when every upstream service reports SERVING on grpc.health.v1."""
    upstreams = flask.current_app.extensions["gorod.upstreams"]
    deadline = flask.current_app.extensions["gorod.settings"].ready_deadline_s
    names = list(upstreams.channels)
    statuses = dict(zip(names, _pool.map(lambda name: upstreams.health(name, deadline), names), strict=True))
    ready = all(status == "SERVING" for status in statuses.values())
    return {"status": "ok" if ready else "unavailable", "upstreams": statuses}, 200 if ready else 503
