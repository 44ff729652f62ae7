"""Receipt data: everything one payment document (ЕПД) of an account and period needs (pure).

`assemble(inputs)` turns what storage read (the account, its organisations, the charge lines
of the run that covers it, its ledger around the period, its readings and the receipt code)
into the sections of Приказ Минстроя № 43/пр as rules.md §5 lists them:

1. payer and executor: period, account and ЕЛС, payer, address, areas, persons, the
   settlement centre and the management company;
2. payment details per recipient (bank details, amount to pay) and the meters (ИПУ): device,
   service code 1–7, previous reading, ОКЕИ unit;
3. the calculation per service (and component): volume (individual; common property for
   КР на СОИ), method N/M/O, tariff, accrued, recalculations, benefits, to pay for the period,
   the increase of формула 4(1); then debt or advance at the start, payments in the period
   (with the date of the last one), penalties and the total to pay;
4. reference: the norms used and the current readings;
5. instalments (none are offered: zero);
6. recalculations with their reasons.

Money is integer kopecks. "Total to pay" per recipient = balance at the period's start +
the period's charges and penalties (the run's lines) + every other ledger movement dated in
the period (payments negative, corrections, reversals); a negative total is an advance and
nothing is due (`to_pay` = max(0, total)). For a closed period this equals the ledger balance
on the period's last day, the run's lines having been posted then.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from accruals.domain import benefits as benefit_rules
from accruals.domain.accounts import Account
from gorod_runtime.period import Period

# ГИС ЖКХ device service codes (rules.md §5, section 2) and ОКЕИ units.
METER_SERVICE_CODES = {"cold_water": 1, "hot_water": 2, "sewage": 3, "electricity": 4, "gas": 5, "heating": 6, "waste": 7}
OKEI = {"m3": "113", "Gcal": "233", "kWh": "245", "m2": "055", "person": "792"}
# Section 3, "method": N = норматив, M = прибор учёта, O = иное.
_NORM_METHODS = {"norm", "norm_increased", "per_person"}
REASONS = {
    "catch_up": "перерасчёт по возобновлённым показаниям прибора учёта (п.59, п.61 ПП 354)",
    "absence": "перерасчёт за период временного отсутствия (п.86–91 ПП 354)",
}
PENALTY = "penalty"
COMMON_PREFIX = "common_"
_HOUSING_KINDS = {"maintenance", "capital_repair"}


@dataclasses.dataclass(frozen=True)
class Organisation:
    id: int
    inn: str
    kpp: str
    name: str
    bank_account: str = ""
    bank_name: str = ""
    bic: str = ""
    corr_account: str = ""


@dataclasses.dataclass(frozen=True)
class Service:
    code: str
    name: str
    kind: str
    unit: str


@dataclasses.dataclass(frozen=True)
class Line:
    """A charge line of the run (amount in kopecks), its explanation decoded."""
    service_code: str              # "" for a penalty line
    recipient_id: int
    component: str
    zone: str
    band: str
    method: str
    volume: Decimal | None
    unit: str
    tariff: Decimal | None
    kopecks: int
    recalculation: bool
    reason: str
    explanation: dict


@dataclasses.dataclass(frozen=True)
class Movement:
    """A ledger entry dated in the period that is not the run's own posting."""
    entry_date: dt.date
    kind: str
    recipient_id: int
    kopecks: int


@dataclasses.dataclass(frozen=True)
class Reading:
    """A meter register from the readings projection: the reading before the period and this period's."""
    service_code: str
    meter_id: str
    zone: str
    previous: Decimal | None         # the last reading before the period
    current: Decimal | None          # this period's reading
    consumption: Decimal | None


@dataclasses.dataclass(frozen=True)
class ReceiptInputs:
    period: Period
    account: Account
    executor: Organisation | None            # the settlement centre
    management_company: Organisation | None
    organisations: dict[int, Organisation]   # recipients by id
    services: dict[str, Service]
    run_id: int
    run_status: str                          # draft or closed
    lines: tuple[Line, ...]
    opening: dict[int, int]                  # balance per recipient on the day before the period
    movements: tuple[Movement, ...]
    readings: tuple[Reading, ...]
    code: str


# -- output ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RecipientTotal:
    organisation: Organisation
    opening: int
    charges: int
    penalties: int
    paid: int                                # payments in the period, as a positive amount
    other: int                               # corrections, reversals, refunds in the period
    total: int                               # opening + charges + penalties − paid + other

    @property
    def to_pay(self) -> int:
        return max(0, self.total)


@dataclasses.dataclass(frozen=True)
class MeterRow:
    meter_id: str
    service_code: str
    service_name: str
    gis_code: int
    zone: str
    unit: str
    okei: str
    previous: Decimal | None
    current: Decimal | None
    consumption: Decimal | None


@dataclasses.dataclass(frozen=True)
class ServiceRow:
    service_code: str
    name: str
    component: str                           # "", carrier, heat
    recipient_id: int
    unit: str
    volume: Decimal | None                   # individual consumption
    common_volume: Decimal | None            # common property (КР на СОИ)
    method: str                              # N, M, O or "" (housing services)
    tariff: Decimal | None                   # None when the row has several
    accrued: int                             # without recalculations and benefits
    recalculations: int
    benefits: int
    to_pay: int                              # accrued + recalculations − benefits
    increase: int                            # the part of формула 4(1)'s × (1 + K)
    norm: str                                # the norm used, "" if none
    lines: tuple[Line, ...]


@dataclasses.dataclass(frozen=True)
class Recalculation:
    service_code: str
    service_name: str
    reason: str                              # catch_up, absence
    text: str                                # the reason as printed (≤ 500 characters)
    kopecks: int


@dataclasses.dataclass(frozen=True)
class Payment:
    entry_date: dt.date
    recipient_id: int
    kopecks: int                             # positive


@dataclasses.dataclass(frozen=True)
class Penalty:
    recipient_id: int
    kopecks: int
    explanation: dict


@dataclasses.dataclass(frozen=True)
class ReceiptData:
    period: Period
    code: str
    run_id: int
    run_status: str
    account: Account
    executor: Organisation | None
    management_company: Organisation | None
    recipients: tuple[RecipientTotal, ...]
    meters: tuple[MeterRow, ...]
    services: tuple[ServiceRow, ...]
    recalculations: tuple[Recalculation, ...]
    payments: tuple[Payment, ...]
    penalties: tuple[Penalty, ...]
    accrued: int
    recalculated: int
    benefits: int
    charges: int                             # to pay for the period: accrued + recalculations − benefits
    opening: int                             # debt (+) or advance (−) at the start
    paid: int
    last_payment: dt.date | None
    penalty: int
    other: int
    total: int
    instalment: int = 0                      # section 5: no instalments are offered
    cash_equivalent: int = 0                 # benefits paid by УСЗН in cash (not deducted)
    subsidy: int = 0                         # the housing subsidy (ПП 761), paid by УСЗН

    @property
    def support(self) -> int:
        """«Субсидии, компенсации и иные меры соцподдержки, руб.»: informational, never deducted."""
        return self.cash_equivalent + self.subsidy

    @property
    def to_pay(self) -> int:
        return max(0, self.total)


# -- assembly -------------------------------------------------------------------------------

# Lines of the run that are not owed (the УСЗН pays them), and discount-mode benefits.
INFORMATIONAL = benefit_rules.INFORMATIONAL_LINES
BENEFIT = benefit_rules.BENEFIT_LINE


def assemble(inputs: ReceiptInputs) -> ReceiptData:
    charges = [line for line in inputs.lines if line.method != PENALTY and line.method not in INFORMATIONAL]
    penalty_lines = [line for line in inputs.lines if line.method == PENALTY]
    services = _service_rows(inputs, charges)
    recalculations = tuple(
        Recalculation(line.service_code, _service(inputs, line.service_code).name, line.reason,
                      _reason_text(line), line.kopecks)
        for line in charges if line.recalculation)
    payments = tuple(sorted((Payment(m.entry_date, m.recipient_id, -m.kopecks) for m in inputs.movements
                             if m.kind == "payment"), key=lambda p: (p.entry_date, p.recipient_id)))
    others = [m for m in inputs.movements if m.kind != "payment"]
    recipient_ids = (set(inputs.opening) | {line.recipient_id for line in charges + penalty_lines}
                     | {m.recipient_id for m in inputs.movements})
    recipients = []
    for rid in sorted(recipient_ids):
        org = inputs.organisations.get(rid) or Organisation(rid, "", "", "")
        opening = inputs.opening.get(rid, 0)
        charged = sum(line.kopecks for line in charges if line.recipient_id == rid)
        penalty = sum(line.kopecks for line in penalty_lines if line.recipient_id == rid)
        paid = sum(p.kopecks for p in payments if p.recipient_id == rid)
        other = sum(m.kopecks for m in others if m.recipient_id == rid)
        recipients.append(RecipientTotal(org, opening, charged, penalty, paid, other, opening + charged + penalty - paid + other))
    accrued = sum(row.accrued for row in services)
    recalculated = sum(row.recalculations for row in services)
    benefits = sum(row.benefits for row in services)
    paid = sum(p.kopecks for p in payments)
    return ReceiptData(
        period=inputs.period, code=inputs.code, run_id=inputs.run_id, run_status=inputs.run_status, account=inputs.account,
        executor=inputs.executor, management_company=inputs.management_company, recipients=tuple(recipients),
        meters=_meters(inputs), services=services, recalculations=recalculations, payments=payments,
        penalties=tuple(Penalty(line.recipient_id, line.kopecks, line.explanation) for line in penalty_lines),
        accrued=accrued, recalculated=recalculated, benefits=benefits, charges=accrued + recalculated - benefits,
        opening=sum(inputs.opening.values()), paid=paid, last_payment=max((p.entry_date for p in payments), default=None),
        penalty=sum(line.kopecks for line in penalty_lines), other=sum(m.kopecks for m in others),
        total=sum(r.total for r in recipients),
        cash_equivalent=sum(line.kopecks for line in inputs.lines if line.method == benefit_rules.CASH_EQUIVALENT_LINE),
        subsidy=sum(line.kopecks for line in inputs.lines if line.method == benefit_rules.SUBSIDY_LINE),
    )


def _service(inputs: ReceiptInputs, code: str) -> Service:
    return inputs.services.get(code) or Service(code, code, code, "")


def _service_rows(inputs: ReceiptInputs, charges: list[Line]) -> tuple[ServiceRow, ...]:
    groups: dict[tuple[str, str], list[Line]] = {}
    for line in charges:
        groups.setdefault((line.service_code, line.component), []).append(line)
    rows = []
    for (code, component), group in groups.items():
        service = _service(inputs, code)
        benefits = -sum(line.kopecks for line in group if line.method == BENEFIT)
        lines = [line for line in group if line.method != BENEFIT]
        if not lines:
            lines = group
        regular = [line for line in lines if not line.recalculation and line.method != BENEFIT]
        volumes = [line.volume for line in regular if line.volume is not None]
        volume = sum(volumes, Decimal(0)) if volumes else None
        tariffs = {line.tariff for line in regular if line.tariff is not None}
        accrued = sum(line.kopecks for line in regular)
        recalculated = sum(line.kopecks for line in lines if line.recalculation)
        common = code.startswith(COMMON_PREFIX) or service.kind.startswith(COMMON_PREFIX)
        rows.append(ServiceRow(
            service_code=code, name=service.name, component=component, recipient_id=lines[0].recipient_id,
            unit=regular[0].unit if regular else lines[0].unit,
            volume=None if common else volume, common_volume=volume if common else None,
            method=_method_letter(service, regular or lines), tariff=tariffs.pop() if len(tariffs) == 1 else None,
            accrued=accrued, recalculations=recalculated, benefits=benefits, to_pay=accrued + recalculated - benefits,
            increase=sum(_increase(line) for line in regular), norm=_norm(regular), lines=tuple(lines)))
    return tuple(rows)


def _method_letter(service: Service, lines: list[Line]) -> str:
    if service.kind in _HOUSING_KINDS:
        return ""
    letters = set()
    for line in lines:
        method = line.method
        if method == "meter":
            letters.add("M")
        elif method in _NORM_METHODS or (method == "area" and service.kind == "heating"):
            letters.add("N")
        elif method == "water_sum":
            # Sewage from the water volumes: its notes say how each was obtained ("V_ХВС: meter").
            sources = {note.split(": ", 1)[1].split(" ")[0] for note in line.explanation.get("notes", [])
                       if note.startswith("V_") and ": " in note}
            letters.add("M" if sources and sources <= {"meter"} else "N" if sources and sources <= _NORM_METHODS else "O")
        elif method == "fixed":
            letters.add("")
        else:
            letters.add("O")
    return letters.pop() if len(letters) == 1 else "O"


def _increase(line: Line) -> int:
    """The part of a line charged for the increasing coefficient of формула 4(1)."""
    if line.method != "norm_increased":
        return 0
    try:
        k = Decimal(line.explanation.get("inputs", {}).get("K", ""))
    except ArithmeticError:
        return 0
    base = (Decimal(line.kopecks) / (1 + k)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return line.kopecks - int(base)


def _norm(lines: list[Line]) -> str:
    for line in lines:
        inputs = line.explanation.get("inputs", {})
        for name in ("N", "N_T", "N_одн"):
            if name in inputs:
                return inputs[name]
    return ""


def _reason_text(line: Line) -> str:
    text = REASONS.get(line.reason, line.reason)
    details = [note for note in line.explanation.get("notes", []) if note.startswith("отсутствие")]
    if details:
        text += ": " + "; ".join(details)
    return text[:500]


def _meters(inputs: ReceiptInputs) -> tuple[MeterRow, ...]:
    rows = []
    for r in sorted(inputs.readings, key=lambda r: (r.service_code, r.meter_id, r.zone)):
        service = _service(inputs, r.service_code)
        rows.append(MeterRow(r.meter_id, r.service_code, service.name, METER_SERVICE_CODES.get(service.kind, 0), r.zone,
                             service.unit, OKEI.get(service.unit, ""), r.previous, r.current, r.consumption))
    return tuple(rows)
