"""Proto <-> domain mapping of GetReceiptData."""
from __future__ import annotations

from decimal import Decimal

from accruals.domain import queries
from accruals.domain import receipts as domain
from gorod.accruals.v1 import accruals_pb2
from gorod_runtime.errors import DomainError
from gorod_runtime.period import Period


def request_from(request: accruals_pb2.GetReceiptDataRequest) -> tuple[str, Period]:
    account = queries.check_account(request.account)
    if not request.HasField("period") or (request.period.year == 0 and request.period.month == 0):
        raise DomainError("period.required", "the period of the receipt is required", "period")
    try:
        return account, Period(request.period.year, request.period.month)
    except ValueError:
        raise DomainError("period.invalid", f"not a period: {request.period.year}-{request.period.month}", "period") from None


def _text(value: Decimal | None) -> str:
    return "" if value is None else f"{value:f}"


def _organisation(target: accruals_pb2.ReceiptOrganisation, org: domain.Organisation | None) -> None:
    if org is not None:
        target.inn, target.kpp, target.name = org.inn, org.kpp, org.name
        target.bank_account, target.bank_name, target.bic, target.corr_account = (
            org.bank_account, org.bank_name, org.bic, org.corr_account)


def _explanation(target: accruals_pb2.ReceiptExplanation, explanation: dict) -> None:
    target.method = explanation.get("method", "")
    target.formula = explanation.get("formula", "")
    for name, value in explanation.get("inputs", {}).items():
        target.inputs.add(name=name, value=value)
    for label, value in explanation.get("steps", []):
        target.steps.add(name=label, value=value)
    target.notes.extend(explanation.get("notes", []))


def receipt_response(data: domain.ReceiptData) -> accruals_pb2.GetReceiptDataResponse:
    response = accruals_pb2.GetReceiptDataResponse(receipt_code=data.code, run_id=data.run_id, run_status=data.run_status)
    response.period.year, response.period.month = data.period.year, data.period.month
    a = data.account
    response.payer.CopyFrom(accruals_pb2.ReceiptPayer(
        account=a.number, els=a.els, name=a.owner_name, address=a.address, total_area=_text(a.total_area),
        living_area=_text(a.living_area), heated_area=_text(a.heated_area), residents=a.residents, registered=a.registered))
    _organisation(response.executor, data.executor)
    _organisation(response.management_company, data.management_company)
    inn = {r.organisation.id: r.organisation.inn for r in data.recipients}
    for r in data.recipients:
        item = response.recipients.add(opening_kopecks=r.opening, charges_kopecks=r.charges, penalties_kopecks=r.penalties,
                                       paid_kopecks=r.paid, other_kopecks=r.other, total_kopecks=r.total,
                                       to_pay_kopecks=r.to_pay)
        _organisation(item.organisation, r.organisation)
    for m in data.meters:
        response.meters.add(meter_id=m.meter_id, service_code=m.service_code, service_name=m.service_name,
                            gis_service_code=m.gis_code, zone=m.zone, unit=m.unit, okei=m.okei, previous=_text(m.previous),
                            current=_text(m.current), consumption=_text(m.consumption))
    for s in data.services:
        row = response.services.add(
            service_code=s.service_code, name=s.name, component=s.component, recipient_inn=inn.get(s.recipient_id, ""),
            unit=s.unit, volume=_text(s.volume), common_volume=_text(s.common_volume), method=s.method,
            tariff=_text(s.tariff), accrued_kopecks=s.accrued, recalculation_kopecks=s.recalculations,
            benefit_kopecks=s.benefits, to_pay_kopecks=s.to_pay, increase_kopecks=s.increase, norm=s.norm)
        for line in s.lines:
            item = row.lines.add(component=line.component, zone=line.zone, band=line.band, method=line.method,
                                 volume=_text(line.volume), unit=line.unit, tariff=_text(line.tariff), kopecks=line.kopecks,
                                 recalculation=line.recalculation, reason=line.reason)
            _explanation(item.explanation, line.explanation)
    response.totals.CopyFrom(accruals_pb2.ReceiptTotals(
        accrued_kopecks=data.accrued, recalculation_kopecks=data.recalculated, benefit_kopecks=data.benefits,
        charges_kopecks=data.charges, opening_kopecks=data.opening, paid_kopecks=data.paid,
        last_payment_date=data.last_payment.isoformat() if data.last_payment else "", penalty_kopecks=data.penalty,
        other_kopecks=data.other, total_kopecks=data.total, to_pay_kopecks=data.to_pay, instalment_kopecks=data.instalment,
        support_kopecks=data.support, cash_equivalent_kopecks=data.cash_equivalent, subsidy_kopecks=data.subsidy))
    for r in data.recalculations:
        response.recalculations.add(service_code=r.service_code, service_name=r.service_name, reason=r.reason, text=r.text,
                                    kopecks=r.kopecks)
    for p in data.payments:
        response.payments.add(date=p.entry_date.isoformat(), recipient_inn=inn.get(p.recipient_id, ""), kopecks=p.kopecks)
    for p in data.penalties:
        _explanation(response.penalties.add(recipient_inn=inn.get(p.recipient_id, ""), kopecks=p.kopecks).explanation,
                     p.explanation)
    return response
