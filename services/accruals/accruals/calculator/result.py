"""The result document: plain JSON with a fixed key order, money in integer kopecks.

    document = render(result)          # dict
    text = dumps(document, pretty)     # deterministic: same scenario → same bytes

Amounts are `*_kopecks` integers (exact: every amount was rounded to the kopeck before);
volumes, tariffs and rates are decimal strings; dates YYYY-MM-DD; periods YYYY-MM.
"""
from __future__ import annotations

import json
from decimal import Decimal

from accruals.domain import penalties as pn
from accruals.domain.charges import ChargeLine, kopecks
from accruals.domain.charges.model import METHOD_LABELS
from accruals.domain.explanation import fmt

from .run import BenefitShareLine, PeriodResult, Result, Totals

RESULT_FORMAT = "gorod.accruals.scenario-result/1"


def _num(value: Decimal | None) -> str | None:
    """A decimal as plain text, never in exponent notation."""
    return None if value is None else format(value, "f")


def _explanation(explanation) -> dict:
    data = explanation.as_dict()
    ordered = {"formula": data["formula"], "inputs": data["inputs"], "steps": data["steps"], "notes": data["notes"]}
    if "method" in data:
        ordered = {"method": data["method"], **ordered}
    return ordered


def _line(line: ChargeLine, names: dict[str, str]) -> dict:
    return {
        "service_code": line.service_code, "service_name": names.get(line.service_code, ""),
        "component": line.component, "zone": line.zone, "band": line.band,
        "method": line.method, "method_label": METHOD_LABELS.get(line.method, line.method),
        "volume": _num(line.volume), "unit": line.unit, "tariff": _num(line.tariff), "amount_kopecks": kopecks(line.amount),
        "recalculation": line.recalculation, "reason": line.reason, "explanation": _explanation(line.explanation),
    }


def _share(item: BenefitShareLine, period, sign: int) -> dict:
    share = item.share
    return {
        "beneficiary_id": share.beneficiary_id, "category": share.category, "service_code": item.service_code,
        "component": item.component, "zone": item.zone, "band": item.band, "period": str(period),
        "kind": share.kind, "pct": fmt(share.pct), "quantity": _num(share.quantity),
        "charge_kopecks": kopecks(item.charge), "amount_kopecks": sign * kopecks(share.amount),
        "explanation": _explanation(share.explanation),
    }


def _totals(totals: Totals) -> dict:
    return {
        "charged_kopecks": kopecks(totals.charged), "recalculations_kopecks": kopecks(totals.recalculations),
        "lines_kopecks": kopecks(totals.lines), "benefit_discounts_kopecks": kopecks(totals.benefit_discounts),
        "to_pay_kopecks": kopecks(totals.to_pay), "cash_equivalents_kopecks": kopecks(totals.cash_equivalents),
        "subsidy_kopecks": kopecks(totals.subsidy),
    }


def _subsidy(result: PeriodResult) -> dict | None:
    s = result.subsidy
    if s is None:
        return None
    return {
        "amount_kopecks": kopecks(s.amount), "family_size": s.family_size,
        "standard_cost_per_member_kopecks": kopecks(s.standard_cost_per_member), "standard_cost_kopecks": kopecks(s.standard_cost),
        "family_income": _num(s.family_income), "per_capita_income": _num(s.per_capita_income),
        "subsistence_minimum": _num(s.subsistence_minimum), "k": _num(s.k), "k_applied": s.k_applied,
        "max_share_pct": fmt(s.max_share_pct), "effective_share": _num(s.effective_share), "family_share": _num(s.family_share),
        "base": _num(s.base), "base_rule": s.base_rule, "actual_expenses_kopecks": kopecks(s.actual_expenses),
        "actual_expenses_source": result.subsidy_expenses_source, "raw": _num(s.raw),
        "explanation": _explanation(s.explanation),
    }


def _period(result: PeriodResult, names: dict[str, str], subsidy_notes: tuple[str, ...]) -> dict:
    inputs = result.inputs
    subsidy = _subsidy(result)
    if subsidy is not None and subsidy_notes:
        subsidy["explanation"]["notes"] = list(subsidy_notes) + subsidy["explanation"]["notes"]
    return {
        "period": str(result.period), "title": result.input.title,
        "residents": inputs.residents, "registered": inputs.registered, "meter_installable": inputs.meter_installable,
        "lines": [_line(line, names) for line in result.lines],
        "benefit_discounts": [_share(item, result.period, -1) for item in result.discounts],
        "cash_equivalents": [_share(item, result.period, 1) for item in result.cash_equivalents],
        "subsidy": subsidy,
        "totals": _totals(result.totals),
        "notes": list(result.notes),
    }


def _segment(s: pn.PenaltySegment) -> dict:
    return {
        "from": s.start.isoformat(), "to": s.end.isoformat(), "days": s.days, "delay_from": s.delay_from, "delay_to": s.delay_to,
        "base_kopecks": kopecks(s.base), "fraction": s.fraction, "rate_pct": fmt(s.rate_pct),
        "key_rates": [{"date": day.isoformat(), "pct": fmt(pct)} for day, pct in s.key_rates],
        "cap_pct": None if s.cap_pct is None else fmt(s.cap_pct), "raw": fmt(s.raw, 6), "amount_kopecks": kopecks(s.amount),
        "explanation": _explanation(s.explanation),
    }


def _penalties(result: Result) -> dict | None:
    p = result.penalties
    if p is None:
        return None
    sources = {d.period: d.source for d in result.penalty_debts}
    spec = result.scenario.penalties
    return {
        "calculation_date": p.calc_date.isoformat(), "since": p.since.isoformat() if p.since else None,
        "payments_kopecks": sum(kopecks(payment.amount) for payment in spec.payments),
        "periods": [{
            "period": str(item.period), "debt_source": sources.get(item.period, ""), "debt_kopecks": kopecks(item.debt),
            "nominal_due": item.nominal_due.isoformat(), "due": item.due.isoformat(),
            "first_penalty_day": item.first_penalty_day.isoformat(), "second_band_day": item.second_band_day.isoformat(),
            "paid": [{"date": a.date.isoformat(), "amount_kopecks": kopecks(a.amount), "source": a.source} for a in item.paid],
            "unpaid_kopecks": kopecks(item.unpaid), "segments": [_segment(s) for s in item.segments],
            "total_kopecks": kopecks(item.total), "explanation": _explanation(item.explanation),
        } for item in p.periods],
        "total_kopecks": kopecks(p.total),
        "notes": list(p.notes),
    }


def render(result: Result) -> dict:
    scenario = result.scenario
    names = {s.code: s.name for s in scenario.services}
    subsidy_notes = scenario.subsidy.notes if scenario.subsidy is not None else ()
    totals = _totals(result.totals)
    return {
        "format": RESULT_FORMAT,
        "title": scenario.title,
        "account": scenario.account.number,
        "periods": [_period(item, names, subsidy_notes) for item in result.periods],
        "penalties": _penalties(result),
        "totals": {
            **totals,
            "penalties_kopecks": kopecks(result.penalty_total),
            "total_kopecks": kopecks(result.grand_total),
        },
    }


def dumps(document: dict, pretty: bool = False) -> str:
    if pretty:
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))

