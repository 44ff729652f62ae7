"""Compute a parsed scenario: per period the charge lines, benefits and the subsidy; then the
penalties over the debts, payments and due dates as of the calculation date; then the totals.

    result = run(scenario)

Periods are computed in order: what a period billed for each meter feeds the next period's
meter history (averages, п.60 norms, the catch-up when readings resume). Money inside is
`Decimal` roubles, every amount already rounded to the kopeck by its rule module; totals are
sums of those rounded amounts (rules.md §8). A rule module refusing the inputs (a missing
tariff, a beneficiary too many) is a scenario problem (`ScenarioInvalid`), not a crash.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from accruals.domain import benefits as bn
from accruals.domain import penalties as pn
from accruals.domain import subsidies as sb
from accruals.domain.calendar import CalendarError
from accruals.domain.charges import AccountInputs, ChargeError, ChargeLine, CommonResource, HouseInputs, compute
from accruals.domain.charges import norms as norm_rules
from gorod_runtime.period import Period

from .meters import MeterTrack, billed_per_meter
from .problems import Problem, ScenarioInvalid, child
from .scenario import PeriodInput, Scenario

ZERO = Decimal("0.00")


@dataclasses.dataclass(frozen=True, slots=True)
class BenefitShareLine:
    """One beneficiary's benefit on one service (one line of a volume-based service)."""
    service_code: str
    component: str
    zone: str
    band: str
    share: bn.BenefitShare
    charge: Decimal


@dataclasses.dataclass(frozen=True, slots=True)
class Totals:
    charged: Decimal = ZERO              # regular lines
    recalculations: Decimal = ZERO       # catch-up and absence lines
    benefit_discounts: Decimal = ZERO    # discount-mode benefits (≤ 0)
    cash_equivalents: Decimal = ZERO     # cash-mode benefits (paid by УСЗН; the receipt is not reduced)
    subsidy: Decimal = ZERO              # paid by УСЗН; the receipt is not reduced

    @property
    def lines(self) -> Decimal:
        return self.charged + self.recalculations

    @property
    def to_pay(self) -> Decimal:
        return self.charged + self.recalculations + self.benefit_discounts

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(a + b for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)))


@dataclasses.dataclass(frozen=True, slots=True)
class PeriodResult:
    input: PeriodInput
    inputs: AccountInputs
    lines: tuple[ChargeLine, ...]
    discounts: tuple[BenefitShareLine, ...]
    cash_equivalents: tuple[BenefitShareLine, ...]
    subsidy: sb.SubsidyResult | None
    subsidy_expenses_source: str         # where ФР came from: period, subsidy, charges
    totals: Totals
    notes: tuple[str, ...]

    @property
    def period(self) -> Period:
        return self.input.period


@dataclasses.dataclass(frozen=True, slots=True)
class PenaltyDebt:
    period: Period
    amount: Decimal
    due: dt.date | None
    source: str                          # "period" (a calculated period's to-pay total) or "debt" (given)


@dataclasses.dataclass(frozen=True, slots=True)
class Result:
    scenario: Scenario
    periods: tuple[PeriodResult, ...]
    penalty_debts: tuple[PenaltyDebt, ...]
    penalties: pn.PenaltyResult | None
    totals: Totals

    @property
    def penalty_total(self) -> Decimal:
        return self.penalties.total if self.penalties is not None else ZERO

    @property
    def grand_total(self) -> Decimal:
        """What the calculated periods leave to pay, plus the penalties."""
        return self.totals.to_pay + self.penalty_total


def run(scenario: Scenario) -> Result:
    problems: list[Problem] = []
    tracks: dict[str, list[MeterTrack]] = {}
    for meter in scenario.meters:
        tracks.setdefault(meter.service, []).append(MeterTrack(meter, problems))
    if problems:
        raise ScenarioInvalid(problems)
    periods = []
    for period_input in scenario.periods:
        periods.append(_period(scenario, period_input, tracks))
    debts = _debts(scenario, periods)
    penalties = _penalties(scenario, debts) if scenario.penalties is not None else None
    totals = Totals()
    for result in periods:
        totals = totals + result.totals
    return Result(scenario, tuple(periods), tuple(debts), penalties, totals)


# -- one period ------------------------------------------------------------------------------------

def account_inputs(scenario: Scenario, p: PeriodInput, tracks: dict[str, list[MeterTrack]]) -> tuple[AccountInputs, list, list]:
    """The engine's inputs for period `p`, the (track, state) pairs passed, and notes on the history."""
    account, house = scenario.account, scenario.house
    residents = account.residents if p.residents is None else p.residents
    registered = account.registered if p.registered is None else p.registered
    common = {}
    for code, (norm, cap) in house.common.items():
        volumes = p.common.get(code)
        if volumes is None:
            common[code] = CommonResource(norm, cap=cap)
        else:
            common[code] = CommonResource(norm, volumes.house_volume, volumes.nonresidential_volume, volumes.unmetered_volume,
                                          volumes.metered_volume, cap)
    meters, passed, notes = {}, [], []
    for code, service_tracks in tracks.items():
        states = []
        for track in service_tracks:
            if not track.exists(p.period):
                continue
            state, history_notes = track.state(p.period)
            states.append(state)
            passed.append((track, state))
            notes.extend(history_notes)
        if states:
            meters[code] = tuple(states)
    inputs = AccountInputs(
        number=account.number, period=p.period, total_area=account.total_area, heated_area=account.heated_area,
        residents=residents, registered=registered, rooms=account.rooms,
        house=HouseInputs(total_area=house.total_area, common_area=house.common_area, has_heat_meter=house.heat_meter,
                          heat_meter_gcal=p.heat_meter_gcal, heating_from=house.heating_from, heating_to=house.heating_to,
                          common=common),
        services=scenario.services, tariffs=scenario.tariffs, norms=scenario.norms, meters=meters, absences=scenario.absences,
        meter_installable=account.meter_installable if p.meter_installable is None else p.meter_installable,
        settlement=account.settlement, electric_stove=account.electric_stove, norm_variants=account.norm_variants,
        tariff_variants=account.tariff_variants,
        open_days=(account.opened_on or dt.date.min, account.closed_on or dt.date.max)
        if account.opened_on or account.closed_on else None)
    return inputs, passed, notes


def _period(scenario: Scenario, p: PeriodInput, tracks: dict[str, list[MeterTrack]]) -> PeriodResult:
    inputs, passed, notes = account_inputs(scenario, p, tracks)
    try:
        lines = tuple(compute(inputs, scenario.settings.engine))
    except ChargeError as exc:
        raise ScenarioInvalid([Problem(p.path, "scenario.cannot_charge", f"{p.period}: {exc}")]) from None
    except ArithmeticError as exc:
        message = f"{p.period}: arithmetic failed ({exc!r}); check the settings"
        raise ScenarioInvalid([Problem(p.path, "scenario.cannot_charge", message)]) from None
    by_service: dict[str, list] = {}
    for track, state in passed:
        by_service.setdefault(track.meter.service, []).append((track, state))
    for code, pairs in by_service.items():
        billed = billed_per_meter(lines, code, [state for _track, state in pairs])
        for track, state in pairs:
            volume, method = billed.get(state.meter_id, (None, "absent"))
            track.record(p.period, state, volume, method)
    discounts, cash = _benefits(scenario, p, inputs, lines)
    charged = sum((line.amount for line in lines if not line.recalculation), ZERO)
    recalculations = sum((line.amount for line in lines if line.recalculation), ZERO)
    totals = Totals(charged, recalculations, -sum((d.share.amount for d in discounts), ZERO),
                    sum((c.share.amount for c in cash), ZERO))
    subsidy, source = _subsidy(scenario, p, totals)
    if subsidy is not None:
        totals = dataclasses.replace(totals, subsidy=subsidy.amount)
    return PeriodResult(p, inputs, lines, discounts, cash, subsidy, source, totals, tuple(dict.fromkeys(notes)))


def _benefits(scenario: Scenario, p: PeriodInput, inputs: AccountInputs, lines) -> tuple[tuple, tuple]:
    spec = scenario.benefits
    if spec is None:
        return (), ()
    settings = scenario.settings.benefits
    family = spec.family_size or inputs.residents
    discounts, cash = [], []
    for service in scenario.services:
        basis = scenario.benefit_basis[service.code]
        people = [b.person for b in spec.beneficiaries
                  if (service.code in b.services if b.services is not None else basis != "none")
                  and (b.from_period is None or b.from_period <= p.period) and (b.until_period is None or p.period <= b.until_period)]
        regular = bn.owed_lines([line for line in lines if line.service_code == service.code])
        if not people or not regular:
            continue
        if basis == "none":
            raise ScenarioInvalid([Problem("$.benefits.beneficiaries", "scenario.benefit_error",
                                           f"service {service.code!r} has benefit_basis none; set services[].benefit_basis")])
        if not family:
            raise ScenarioInvalid([Problem(child(p.path, "residents"), "scenario.benefit_error",
                                           f"{p.period}: no residents; give benefits.family_size")])
        try:
            if basis == bn.AREA:
                charge = sum((line.amount for line in regular), ZERO)
                found = bn.area_benefit(service=service.code, charge=charge, area=inputs.total_area, family_size=family,
                                        beneficiaries=people, settings=settings, period=p.period)
                parts = [(("", "", ""), found)]
            else:
                parts = _volume_benefits(scenario, p, inputs, service, regular, family, people, settings)
        except ScenarioInvalid:
            raise
        except (ValueError, ArithmeticError) as exc:
            raise ScenarioInvalid([Problem("$.benefits", "scenario.benefit_error", f"{p.period}, {service.code}: {exc}")]) from None
        for (component, zone, band), found in parts:
            for share in found.shares:
                if share.amount <= 0:
                    continue
                item = BenefitShareLine(service.code, component, zone, band, share, found.charge)
                (cash if share.mode == bn.CASH_EQUIVALENT else discounts).append(item)
    return tuple(discounts), tuple(cash)


def _volume_benefits(scenario, p, inputs, service, regular, family, people, settings) -> list:
    """benefits.volume_benefit_parts with the scenario's norm per person (or the norms')."""
    norm = scenario.benefits.norm_per_person.get(service.code)
    if norm is None:
        row = norm_rules.find_norm(inputs.norms.get(service.code, ()), norm_rules.norm_variant(inputs, service), inputs.rooms,
                                   inputs.residents, inputs.period)
        if row is None:
            raise ScenarioInvalid([Problem(child("$.norms", service.code), "scenario.benefit_norm_missing",
                                           f"{p.period}: a volume-based benefit on {service.code!r} needs its norm per person "
                                           "(norms or benefits.norm_per_person)")])
        norm = row.value
    return bn.volume_benefit_parts(service=service.code, lines=regular, norm_per_person=norm, family_size=family,
                                   beneficiaries=people, settings=settings, period=p.period)


def _subsidy(scenario: Scenario, p: PeriodInput, totals: Totals) -> tuple[sb.SubsidyResult | None, str]:
    spec = scenario.subsidy
    if spec is None or (spec.from_period and p.period < spec.from_period) or (spec.until_period and p.period > spec.until_period):
        return None, ""
    if p.actual_expenses is not None:
        actual, source = p.actual_expenses, "period"
    elif spec.actual_expenses is not None:
        actual, source = spec.actual_expenses, "subsidy"
    else:
        actual, source = max(totals.to_pay, ZERO), "charges"
    try:
        return sb.subsidy(family_size=spec.family_size, standard_cost_per_member=spec.standard_cost_per_member,
                          family_income=spec.family_income, subsistence_minimum=spec.subsistence_minimum, actual_expenses=actual,
                          settings=scenario.settings.subsidies), source
    except (ValueError, ArithmeticError) as exc:
        raise ScenarioInvalid([Problem("$.subsidy", "scenario.subsidy_error", f"{p.period}: {exc!s:.300}")]) from None


# -- penalties -------------------------------------------------------------------------------------

def _debts(scenario: Scenario, periods: list[PeriodResult]) -> list[PenaltyDebt]:
    spec = scenario.penalties
    if spec is None:
        return []
    debts = [PenaltyDebt(d.period, d.amount, d.due, "debt") for d in spec.debts]
    if spec.include_periods:
        debts += [PenaltyDebt(r.period, r.totals.to_pay, r.input.due_date, "period") for r in periods if r.totals.to_pay > 0]
    return sorted(debts, key=lambda d: d.period)


def _penalties(scenario: Scenario, debts: list[PenaltyDebt]) -> pn.PenaltyResult:
    spec = scenario.penalties
    try:
        return pn.penalty([pn.Debt(d.period, d.amount, d.due) for d in debts], spec.payments, spec.calculation_date,
                          key_rates=spec.key_rates, moratoria=spec.moratoria, settings=scenario.settings.penalties, since=spec.since)
    except (ValueError, CalendarError, ArithmeticError) as exc:
        raise ScenarioInvalid([Problem("$.penalties", "scenario.penalty_error", f"{exc!s:.300}")]) from None
