"""What the receipt data of one account and period is read from (SQLAlchemy, inside the service).

The charge lines come from the run of the period that covers the account (the newest draft or
closed run whose partition holds it), with their explanations decoded from the shared shapes;
the ledger gives the balance at the period's start and the period's other movements; the
readings projection gives the meters.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from accruals.domain import receipts as domain
from accruals.run import explain
from accruals.run.partition import partition_of
from accruals.storage.tables import accounts as accounts_table
from accruals.storage.tables import (
    charge_lines,
    consumption,
    explanation_shapes,
    houses,
    ledger_entries,
    organisations,
    premises,
    runs,
    services,
)

_r, _l, _e, _o = runs.c, charge_lines.c, ledger_entries.c, organisations.c
_ORG = (_o.id, _o.inn, _o.kpp, _o.name, _o.bank_account, _o.bank_name, _o.bic, _o.corr_account)


def _organisation(row) -> domain.Organisation:
    return domain.Organisation(row.id, row.inn, row.kpp, row.name, row.bank_account, row.bank_name, row.bic,
                               row.corr_account)


def covering_run(conn: sa.Connection, account: str, period: dt.date) -> tuple[int, str] | None:
    """(run id, status) of the newest draft or closed run of the period whose partition holds the account."""
    rows = conn.execute(sa.select(_r.id, _r.part, _r.parts, _r.status)
                        .where(_r.period == period, _r.status.in_(("draft", "closed"))).order_by(_r.id.desc()))
    for run_id, part, parts, status in rows:
        if partition_of(account, parts) == part:
            return run_id, status
    return None


def lines(conn: sa.Connection, run_id: int, account: str) -> tuple[domain.Line, ...]:
    rows = conn.execute(sa.select(charge_lines).where(_l.run_id == run_id, _l.account == account).order_by(_l.line_no)).all()
    shape_ids = {row.shape for row in rows if row.shape is not None}
    bodies = dict(conn.execute(sa.select(explanation_shapes.c.id, explanation_shapes.c.body)
                               .where(explanation_shapes.c.id.in_(shape_ids))).all()) if shape_ids else {}
    return tuple(
        domain.Line(service_code=row.service_code, recipient_id=row.recipient_id, component=row.component, zone=row.zone,
                    band=row.band, method=row.method, volume=row.volume, unit=row.unit, tariff=row.tariff,
                    kopecks=row.amount_kopecks, recalculation=row.recalculation, reason=row.reason,
                    explanation=explain.decode(bodies.get(row.shape, {}), row.facts))
        for row in rows)


def organisations_by_id(conn: sa.Connection, ids: set[int]) -> dict[int, domain.Organisation]:
    if not ids:
        return {}
    return {row.id: _organisation(row) for row in conn.execute(sa.select(*_ORG).where(_o.id.in_(ids)))}


def executor(conn: sa.Connection) -> domain.Organisation | None:
    """The settlement centre (the lowest id of that kind)."""
    row = conn.execute(sa.select(*_ORG).where(_o.kind == "settlement_centre").order_by(_o.id).limit(1)).first()
    return _organisation(row) if row else None


def management_company(conn: sa.Connection, account: str) -> domain.Organisation | None:
    a, p, h = accounts_table.c, premises.c, houses.c
    row = conn.execute(
        sa.select(*_ORG).select_from(accounts_table.join(premises, p.id == a.premise_id).join(houses, h.id == p.house_id)
                                     .join(organisations, _o.id == h.management_company_id))
        .where(a.number == account)).first()
    return _organisation(row) if row else None


def services_by_code(conn: sa.Connection, codes: set[str]) -> dict[str, domain.Service]:
    if not codes:
        return {}
    s = services.c
    return {row.code: domain.Service(row.code, row.name, row.kind, row.unit)
            for row in conn.execute(sa.select(s.code, s.name, s.kind, s.unit).where(s.code.in_(codes)))}


def opening(conn: sa.Connection, account: str, first: dt.date) -> dict[int, int]:
    """Balance per recipient on the day before the period (the covering index answers)."""
    rows = conn.execute(sa.select(_e.recipient_id, sa.func.sum(_e.amount_kopecks))
                        .where(_e.account == account, _e.entry_date < first).group_by(_e.recipient_id))
    return {rid: int(total) for rid, total in rows}


def movements(conn: sa.Connection, account: str, first: dt.date, last: dt.date) -> tuple[domain.Movement, ...]:
    """The ledger entries dated in the period, except the period's own run postings (the lines stand for them)."""
    rows = conn.execute(
        sa.select(_e.entry_date, _e.kind, _e.recipient_id, _e.amount_kopecks)
        .where(_e.account == account, _e.entry_date >= first, _e.entry_date <= last,
               sa.not_(sa.and_(_e.kind.in_(("charge", "penalty")), _e.period == first, _e.created_by.like("run:%"))))
        .order_by(_e.entry_date, _e.id))
    return tuple(domain.Movement(d, kind, rid, amount) for d, kind, rid, amount in rows)


def readings(conn: sa.Connection, account: str, first: dt.date, since: dt.date) -> tuple[domain.Reading, ...]:
    """Per register seen in the window: the reading before the period and this period's."""
    c = consumption.c
    rows = conn.execute(sa.select(c.service, c.meter_id, c.zone, c.period, c.value, c.consumption)
                        .where(c.account == account, c.period >= since, c.period <= first)
                        .order_by(c.meter_id, c.zone, c.period))
    registers: dict[tuple, list] = {}
    for row in rows:
        registers.setdefault((row.service, row.meter_id, row.zone), []).append(row)
    result = []
    for (service, meter_id, zone), found in registers.items():
        last = found[-1]
        if last.period == first:
            before = found[-2].value if len(found) > 1 else (
                last.value - last.consumption if last.consumption is not None else None)
            result.append(domain.Reading(service, meter_id, zone, _dec(before), _dec(last.value), _dec(last.consumption)))
        else:
            result.append(domain.Reading(service, meter_id, zone, _dec(last.value), None, None))
    return tuple(result)


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(value)
