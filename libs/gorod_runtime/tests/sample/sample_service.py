"""A service used by the kit's tests: consumes one topic and records each effect.

The payload's `source` field tells the handler how to behave:
  "ok"              record the effect
  "fail:N"          raise on the first N attempts in this process, then record
  "poison"          always raise
  "fail-unless-env" raise unless SAMPLE_HEAL=1 (a fix deployed by a restart)
  "skip"            write, then leave the unit of work without committing (nothing kept)
"""
from __future__ import annotations

import collections
import os

import sqlalchemy as sa

from gorod_runtime.consumer import consume
from gorod_runtime.outbox import OutboxRelayRunner
from gorod_runtime.service import GorodService

TOPIC = os.environ.get("SAMPLE_TOPIC", "sample.events.v1")
GROUP = os.environ.get("SAMPLE_GROUP", "sample.effects")
_attempts: collections.Counter = collections.Counter()

effects = sa.Table(
    "effects", sa.MetaData(),
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("event_id", sa.Text, nullable=False),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("value", sa.Text, nullable=False),
)


class SampleService(GorodService):
    name = "sample"

    outbox_relay = OutboxRelayRunner()

    @consume(TOPIC, group=GROUP)
    def on_event(self, event):
        behaviour = event.payload.source
        _attempts[event.event_id] += 1
        if behaviour == "poison":
            raise RuntimeError("poison event")
        if behaviour.startswith("fail:") and _attempts[event.event_id] <= int(behaviour.split(":")[1]):
            raise RuntimeError(f"failing attempt {_attempts[event.event_id]}")
        if behaviour == "fail-unless-env" and os.environ.get("SAMPLE_HEAL") != "1":
            raise RuntimeError("not healed yet")
        with self.uow as uow:
            uow.connection.execute(effects.insert().values(event_id=event.event_id, account=event.account,
                                                           value=event.payload.value))
            if behaviour != "skip":
                uow.commit()
