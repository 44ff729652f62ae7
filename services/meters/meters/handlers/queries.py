"""Queries: meters of an account, history, consumption, reminders."""
from __future__ import annotations

import datetime as dt
import zoneinfo

from gorod_runtime.errors import DomainError, NotFound
from gorod_runtime.period import Period
from gorod_runtime.uow import UnitOfWork
from meters.domain import queries as domain
from meters.domain import registry
from meters.domain.windows import choose, period_for
from meters.settings import MetersSettings
from meters.storage import queries as storage
from meters.storage import registry as registry_storage


def _today(settings: MetersSettings, now: dt.datetime | None) -> tuple[dt.datetime, dt.date]:
    now = now or dt.datetime.now(dt.UTC)
    return now, now.astimezone(zoneinfo.ZoneInfo(settings.tz)).date()


def list_meters(uow: UnitOfWork, settings: MetersSettings, account: str, include_archived: bool,
                now: dt.datetime | None = None) -> tuple[list[domain.MeterView], Period | None]:
    """The account's meters with their latest readings, whether each takes a reading now (its
    status, its verification, and its own window: a refusing window that is closed now refuses
    with reading.outside_window), and the period a reading submitted now counts for under the
    default window (None: refused now)."""
    registry.check_account(account)
    now, today = _today(settings, now)
    with uow:
        meters = storage.meters_of(uow.connection, account, include_archived)
        last = storage.last_readings(uow.connection, [m.id for m in meters])
        windows = registry_storage.windows(uow.connection) if meters else {}
    views = []
    for meter in meters:
        refused = registry.refusal(meter, today)
        code = refused[0] if refused else ""
        if not code:
            try:
                period_for(choose(windows, meter.supplier_inn, meter.service, settings.default_window), now, settings.tz)
            except DomainError as closed:
                code = closed.code
        views.append(domain.MeterView(meter, tuple(r for r in last if r.meter_id == meter.id), code))
    try:
        current = period_for(settings.default_window, now, settings.tz)
    except DomainError:  # outside a refusing window
        current = None
    return views, current


def history(uow: UnitOfWork, settings: MetersSettings, meter_id: int, account: str, from_period: Period | None,
            to_period: Period | None, now: dt.datetime | None = None):
    now, _ = _today(settings, now)
    first, last = domain.history_range(from_period, to_period, Period.of(now, settings.tz))
    with uow:
        meter = registry_storage.get_meter(uow.connection, meter_id)
        if meter is None or (account and meter.account != account):
            raise NotFound("meter.not_found", f"no meter {meter_id}" + (" on this account" if account else ""), "meter_id")
        readings = storage.history(uow.connection, meter_id, first, last)
    return meter, domain.mark_counting(readings)


def consumption(uow: UnitOfWork, accounts: list[str], periods: list[Period]) -> list[domain.ConsumptionRecord]:
    domain.check_consumption_query(accounts, periods)
    for index, account in enumerate(accounts):
        registry.check_account(account, f"accounts[{index}]")
    with uow:
        return storage.consumption(uow.connection, accounts, periods)


def accounts_without_readings(uow: UnitOfWork, period: Period, supplier_inn: str, after: str, limit: int):
    limit = domain.page_limit(limit)
    with uow:
        accounts = storage.accounts_without_readings(uow.connection, period, supplier_inn, after, limit)
    return accounts, (accounts[-1] if len(accounts) == limit else "")


def verification_due(uow: UnitOfWork, settings: MetersSettings, within_days: int, supplier_inn: str, after: int,
                     limit: int, now: dt.datetime | None = None):
    limit = domain.page_limit(limit)
    _, today = _today(settings, now)
    within = domain.within_days(within_days, registry.VERIFICATION_REMINDER_DAYS)
    with uow:
        meters = storage.verification_due(uow.connection, today, today + dt.timedelta(days=within), supplier_inn, after, limit)
    return meters, (str(meters[-1].id) if len(meters) == limit else "")
