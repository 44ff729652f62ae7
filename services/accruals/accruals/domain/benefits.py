"""Benefits (льготы): compensation of a share of housing and utility charges (rules.md §0.3, §4).

Area-based services (содержание, наём, отопление, капремонт), per beneficiary:

    benefit = pct × charge × area share / S,   area share = min(S, S_norm(family size)) / family size

Barnaul social norms S_norm: 33 m² (one person), 42 m² (two), 18 m² per person (three or more).
For a person living alone this is the rules.md formula `pct × charge × min(S, 33) / S` (E-29).

Volume-based services (ХВС, ГВС, водоотведение, электро, газ), per beneficiary:

    benefit = pct × min(V / family size, N) × T

i.e. the beneficiary's share of the volume, not above one person's norm (rules.md §4; with every
member a beneficiary this equals `pct × min(V, n × N) × T`).

Two modes (a setting, and per beneficiary):
* `cash_equivalent` (Altai Krai default, закон АК 156-ЗС): the receipt shows the full charge;
  each beneficiary gets a «денежный эквивалент» record per service for export to УСЗН;
* `discount`: a negative benefit line on the receipt reduces «к оплате».

Each beneficiary's amount is rounded to the kopeck half up; totals are sums of rounded amounts.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from decimal import Decimal

from accruals.domain.charges.model import ABSENCE, PART_PERIOD
from accruals.domain.explanation import CONTEXT, Explanation, fmt, money, round_money, to_decimal
from gorod_runtime.period import Period

__all__ = [
    "AREA", "CASH_EQUIVALENT", "DISCOUNT", "VOLUME", "Beneficiary", "BenefitSettings", "BenefitShare",
    "CashEquivalentRecord", "ServiceBenefit", "area_benefit", "benefit_basis", "owed_lines", "social_norm_area",
    "volume_benefit", "volume_benefit_parts",
]

CASH_EQUIVALENT = "cash_equivalent"
DISCOUNT = "discount"
MODES = (CASH_EQUIVALENT, DISCOUNT)
AREA = "area"
VOLUME = "volume"
NONE = "none"
# Methods of the monthly run's benefit and subsidy lines (accruals.run.benefits), read by the
# receipt, the close and compare: a discount is owed less; cash equivalents and subsidies are
# paid by УСЗН and never owed (informational).
BENEFIT_LINE = "benefit"
CASH_EQUIVALENT_LINE = "benefit_cash"
SUBSIDY_LINE = "subsidy"
INFORMATIONAL_LINES = frozenset({CASH_EQUIVALENT_LINE, SUBSIDY_LINE})
AREA_KINDS = frozenset({"maintenance", "capital_repair", "heating", "rent"})
VOLUME_KINDS = frozenset({"cold_water", "hot_water", "sewage", "electricity", "gas"})
VOLUME_SHARE_PER_CAPITA = "per_capita"        # V / family size
VOLUME_SHARE_PER_BENEFICIARY = "per_beneficiary"  # V / number of beneficiaries (rules.md §4 literal)

METHOD_AREA = ("Закон АК 27.12.2007 № 156-ЗС, ФЗ 181 ст.17: компенсация доли платы в пределах социальной нормы площади "
               "[формула ASSUMED, сверить с Порядком ПП АК 21.03.2024 № 69]")
METHOD_VOLUME = ("Закон АК 27.12.2007 № 156-ЗС, ФЗ 181 ст.17: компенсация доли платы за коммунальные услуги в пределах норматива "
                 "[формула ASSUMED, сверить с Порядком ПП АК 21.03.2024 № 69]")
_ZERO = Decimal("0.00")
_NOTE = "формула и доли — ASSUMED (rules.md §4), сверить с Порядком ПП АК 21.03.2024 № 69"
_HUNDRED = Decimal(100)


@dataclasses.dataclass(frozen=True, slots=True)
class BenefitSettings:
    mode: str = CASH_EQUIVALENT                   # Altai Krai default
    # Barnaul social norms of area (rules.md §3), m².
    norm_single_m2: Decimal = Decimal(33)
    norm_two_m2: Decimal = Decimal(42)
    norm_per_person_m2: Decimal = Decimal(18)     # families of 3 and more, per person
    # [ASSUMED] a beneficiary's share of a metered volume: V / family size.
    volume_share: str = VOLUME_SHARE_PER_CAPITA

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        if self.volume_share not in (VOLUME_SHARE_PER_CAPITA, VOLUME_SHARE_PER_BENEFICIARY):
            raise ValueError("volume_share must be 'per_capita' or 'per_beneficiary'")
        for name in ("norm_single_m2", "norm_two_m2", "norm_per_person_m2"):
            value = to_decimal(getattr(self, name), name)
            if value <= 0:
                raise ValueError(f"{name} must be positive")
            object.__setattr__(self, name, value)


DEFAULT_SETTINGS = BenefitSettings()


@dataclasses.dataclass(frozen=True, slots=True)
class Beneficiary:
    id: str                                       # the person (for the УСЗН export)
    pct: Decimal                                  # the share compensated, %, e.g. 50
    category: str = ""                            # e.g. "ветеран труда (61-ЗС)"
    mode: str | None = None                       # overrides the setting (legacy discount categories)


@dataclasses.dataclass(frozen=True, slots=True)
class CashEquivalentRecord:
    """One «денежный эквивалент» line for УСЗН: a beneficiary, a service, a period, an amount."""

    beneficiary_id: str
    category: str
    service: str
    period: Period | None
    amount: Decimal
    explanation: Explanation


@dataclasses.dataclass(frozen=True, slots=True)
class BenefitShare:
    beneficiary_id: str
    category: str
    pct: Decimal
    mode: str
    kind: str                                     # AREA | VOLUME
    quantity: Decimal                             # m² or units counted for this beneficiary
    raw: Decimal
    amount: Decimal                               # rounded; for a discount, what the line takes off
    _inputs: tuple[tuple[str, str], ...] = dataclasses.field(repr=False, compare=False)
    _steps: tuple[tuple[str, str], ...] = dataclasses.field(repr=False, compare=False)

    @property
    def explanation(self) -> Explanation:
        if self.kind == AREA:
            formula, method = "льгота = % × начислено × min(S; S_норм(n)) / n / S", METHOD_AREA
        else:
            formula, method = "льгота = % × min(V / n; N) × T", METHOD_VOLUME
        return Explanation(method=method, formula=formula, inputs=dict(self._inputs), steps=self._steps, notes=(_NOTE,))


@dataclasses.dataclass(frozen=True, slots=True)
class ServiceBenefit:
    service: str
    kind: str
    period: Period | None
    charge: Decimal                               # «начислено» for the service
    shares: tuple[BenefitShare, ...]

    @property
    def discount(self) -> Decimal:
        """What the receipt takes off «к оплате» (discount-mode beneficiaries)."""
        return sum((s.amount for s in self.shares if s.mode == DISCOUNT), _ZERO)

    @property
    def cash_equivalent(self) -> Decimal:
        """What УСЗН pays out (cash-mode beneficiaries); the receipt is not reduced by it."""
        return sum((s.amount for s in self.shares if s.mode == CASH_EQUIVALENT), _ZERO)

    @property
    def total(self) -> Decimal:
        return self.discount + self.cash_equivalent

    @property
    def benefit_line(self) -> Decimal:
        """The «Льготы, субсидии, скидки» amount on the receipt: negative, or 0 in cash mode."""
        discount = self.discount
        return -discount if discount else _ZERO

    @property
    def to_pay(self) -> Decimal:
        return self.charge - self.discount

    @property
    def exports(self) -> tuple[CashEquivalentRecord, ...]:
        return tuple(CashEquivalentRecord(s.beneficiary_id, s.category, self.service, self.period, s.amount, s.explanation)
                     for s in self.shares if s.mode == CASH_EQUIVALENT and s.amount > 0)

    @property
    def explanation(self) -> Explanation:
        steps = tuple((f"{s.beneficiary_id} ({'денежный эквивалент' if s.mode == CASH_EQUIVALENT else 'скидка'})", fmt(s.amount, 2))
                      for s in self.shares)
        steps += (("начислено", fmt(self.charge, 2)), ("льгота в квитанции", fmt(self.benefit_line, 2)),
                  ("к оплате", fmt(self.to_pay, 2)), ("денежный эквивалент в УСЗН", fmt(self.cash_equivalent, 2)))
        return Explanation(
            method=METHOD_AREA if self.kind == AREA else METHOD_VOLUME,
            formula="к оплате = начислено − Σ льгот в режиме скидки; денежный эквивалент не уменьшает квитанцию",
            inputs={"услуга": self.service, "период": str(self.period or "—"), "начислено": fmt(self.charge, 2)},
            steps=steps,
        )


def benefit_basis(kind: str, method: str) -> str:
    """How a service's benefit is computed by default: AREA, VOLUME or NONE (e.g. waste)."""
    if kind in AREA_KINDS or method == "area":
        return AREA
    if kind in VOLUME_KINDS:
        return VOLUME
    return NONE


# Recalculations of the period's own days: a benefit covers what the period owes after them.
# Catch-ups (earlier periods' volumes) are not the period's own.
THIS_PERIOD_RECALCULATIONS = frozenset({ABSENCE, PART_PERIOD})


def owed_lines(service_lines: list) -> list:
    """The service's regular lines with what this period's own recalculations (absence, part
    period) take off each (same component, zone, band): a benefit covers what is owed, not the
    full month; lines left with nothing owed are dropped."""
    regular = [line for line in service_lines if not line.recalculation]
    taken = {}
    for line in service_lines:
        if line.recalculation and line.reason in THIS_PERIOD_RECALCULATIONS:
            key = (line.component, line.zone, line.band)
            amount, volume = taken.get(key, (_ZERO, _ZERO))
            taken[key] = (amount + line.amount, volume + (line.volume or _ZERO))
    result = []
    for line in regular:
        amount, volume = taken.pop((line.component, line.zone, line.band), (_ZERO, _ZERO))
        if amount or volume:
            line = dataclasses.replace(line, amount=line.amount + amount,
                                       volume=None if line.volume is None else line.volume + volume)
        if line.amount > 0:
            result.append(line)
    return result


def social_norm_area(family_size: int, settings: BenefitSettings | None = None) -> Decimal:
    """The social norm of area for a family: 33 (1), 42 (2), 18 per person (3+)."""
    settings = settings or DEFAULT_SETTINGS
    if family_size < 1:
        raise ValueError("family_size must be positive")
    if family_size == 1:
        return settings.norm_single_m2
    if family_size == 2:
        return settings.norm_two_m2
    return settings.norm_per_person_m2 * family_size


def area_benefit(
    *,
    service: str,
    charge: Decimal | int | str,
    area: Decimal | int | str,
    family_size: int,
    beneficiaries: Iterable[Beneficiary],
    settings: BenefitSettings | None = None,
    period: Period | None = None,
) -> ServiceBenefit:
    """Benefits on an area-based service's charge for the beneficiaries of one household."""
    settings = settings or DEFAULT_SETTINGS
    charge = money(charge, "charge")
    area = to_decimal(area, "area")
    _check_household(family_size, charge)
    if area <= 0:
        raise ValueError("area must be positive")
    people = _beneficiaries(beneficiaries, family_size)
    norm = social_norm_area(family_size, settings)
    counted = min(area, norm)
    share_area = CONTEXT.divide(counted, Decimal(family_size))
    shares = []
    for person in people:
        raw = CONTEXT.divide(CONTEXT.multiply(CONTEXT.multiply(person.pct, charge), share_area), CONTEXT.multiply(_HUNDRED, area))
        shares.append(_share(person, settings, AREA, share_area, raw, (
            ("услуга", service), ("начислено", fmt(charge, 2)), ("S (общая площадь)", fmt(area)),
            ("n (проживает)", str(family_size)), ("S_норм(n)", fmt(norm)), ("%", fmt(person.pct)),
        ), (
            ("min(S; S_норм)", f"min({fmt(area)}; {fmt(norm)}) = {fmt(counted)}"),
            ("доля площади льготника", f"{fmt(counted)} / {family_size} = {fmt(share_area, 4)} м²"),
            ("расчёт", f"{fmt(person.pct)} % × {fmt(charge, 2)} × {fmt(share_area, 4)} / {fmt(area)} = {fmt(raw, 6)}"),
        )))
    return ServiceBenefit(service=service, kind=AREA, period=period, charge=charge, shares=_capped(shares, charge))


def volume_benefit(
    *,
    service: str,
    charge: Decimal | int | str,
    volume: Decimal | int | str,
    norm_per_person: Decimal | int | str,
    tariff: Decimal | int | str,
    family_size: int,
    beneficiaries: Iterable[Beneficiary],
    settings: BenefitSettings | None = None,
    period: Period | None = None,
) -> ServiceBenefit:
    """Benefits on a volume-based service (metered or by norm) for the beneficiaries of one household."""
    settings = settings or DEFAULT_SETTINGS
    charge = money(charge, "charge")
    volume = to_decimal(volume, "volume")
    norm = to_decimal(norm_per_person, "norm_per_person")
    tariff = to_decimal(tariff, "tariff")
    _check_household(family_size, charge)
    if volume < 0 or norm < 0 or tariff < 0:
        raise ValueError("volume, norm and tariff must not be negative")
    people = _beneficiaries(beneficiaries, family_size)
    divisor = family_size if settings.volume_share == VOLUME_SHARE_PER_CAPITA else max(len(people), 1)
    per_person = CONTEXT.divide(volume, Decimal(divisor))
    counted = min(per_person, norm)
    shares = []
    for person in people:
        raw = CONTEXT.divide(CONTEXT.multiply(CONTEXT.multiply(person.pct, counted), tariff), _HUNDRED)
        who = "n (проживает)" if settings.volume_share == VOLUME_SHARE_PER_CAPITA else "льготников"
        shares.append(_share(person, settings, VOLUME, counted, raw, (
            ("услуга", service), ("начислено", fmt(charge, 2)), ("V (объём)", fmt(volume)),
            (who, str(divisor)), ("N (норматив на человека)", fmt(norm)), ("T (тариф)", fmt(tariff)), ("%", fmt(person.pct)),
        ), (
            ("объём на льготника", f"{fmt(volume)} / {divisor} = {fmt(per_person, 7)}"),
            ("min(объём; N)", f"min({fmt(per_person, 7)}; {fmt(norm)}) = {fmt(counted, 7)}"),
            ("расчёт", f"{fmt(person.pct)} % × {fmt(counted, 7)} × {fmt(tariff)} = {fmt(raw, 6)}"),
        )))
    return ServiceBenefit(service=service, kind=VOLUME, period=period, charge=charge, shares=_capped(shares, charge))


def volume_benefit_parts(
    *,
    service: str,
    lines,
    norm_per_person: Decimal,
    family_size: int,
    beneficiaries: Iterable[Beneficiary],
    settings: BenefitSettings | None = None,
    period: Period | None = None,
) -> list[tuple[tuple[str, str, str], ServiceBenefit]]:
    """Benefits on a volume service charged in several lines (charge lines: component, zone, band,
    volume, tariff, amount): per line pct × min(V_line / n, N_line) × T_line, N_line = N × V_line / V
    (V: the service's volume, its "" and carrier lines). With one line this is `volume_benefit`;
    with components (hot water's heat line has V × q), zones or ranges the one-person norm is
    shared among the lines in proportion to their volumes. ((component, zone, band), benefit) each."""
    people = list(beneficiaries)
    volume = sum((line.volume for line in lines if line.component in ("", "carrier")), Decimal(0))
    parts = []
    for line in lines:
        line_norm = norm_per_person if line.volume == volume or not volume else CONTEXT.divide(
            CONTEXT.multiply(norm_per_person, line.volume), volume)
        found = volume_benefit(service=service, charge=line.amount, volume=line.volume, norm_per_person=line_norm,
                               tariff=line.tariff, family_size=family_size, beneficiaries=people, settings=settings, period=period)
        parts.append(((line.component, line.zone, line.band), found))
    return parts


def _share(person: Beneficiary, settings: BenefitSettings, kind: str, quantity: Decimal, raw: Decimal,
           inputs: tuple, steps: tuple) -> BenefitShare:
    amount = round_money(raw)
    mode = person.mode or settings.mode
    steps = (*steps, ("округление до копейки (ROUND_HALF_UP)", fmt(amount, 2)),
             ("режим", "денежный эквивалент (в УСЗН, квитанция не уменьшается)" if mode == CASH_EQUIVALENT
              else "скидка в квитанции"))
    return BenefitShare(beneficiary_id=person.id, category=person.category, pct=person.pct, mode=mode, kind=kind,
                        quantity=quantity, raw=raw, amount=amount, _inputs=(("льготник", person.id), *inputs), _steps=steps)


def _capped(shares: list[BenefitShare], charge: Decimal) -> tuple[BenefitShare, ...]:
    """Benefits never exceed the charge: a last share that would is cut to what is left."""
    left, result = charge, []
    for share in shares:
        if share.amount > left:
            share = dataclasses.replace(share, amount=max(left, _ZERO), _steps=(
                *share._steps, ("ограничение начисленным", f"не более остатка {fmt(max(left, _ZERO), 2)}")))
        left -= share.amount
        result.append(share)
    return tuple(result)


def _check_household(family_size: int, charge: Decimal) -> None:
    if isinstance(family_size, bool) or not isinstance(family_size, int) or family_size < 1:
        raise ValueError(f"family_size must be a positive integer, not {family_size!r}")
    if charge < 0:
        raise ValueError("charge must not be negative")


def _beneficiaries(beneficiaries: Iterable[Beneficiary], family_size: int) -> list[Beneficiary]:
    people = []
    for person in beneficiaries:
        pct = to_decimal(person.pct, f"pct of {person.id}")
        if not 0 <= pct <= 100:
            raise ValueError(f"pct of {person.id} must be within 0..100")
        if person.mode is not None and person.mode not in MODES:
            raise ValueError(f"mode of {person.id} must be one of {MODES}")
        people.append(dataclasses.replace(person, pct=pct))
    if len({person.id for person in people}) != len(people):
        raise ValueError("a beneficiary is listed twice")
    if len(people) > family_size:
        raise ValueError(f"{len(people)} beneficiaries in a household of {family_size}")
    return people
