"""Benefits and subsidies in the monthly run: extra lines after an account's charge lines.

From the account's benefit holders (benefit_holders × benefit_categories valid in the period)
and its subsidy decision (subsidy_decisions), with the domain's rules (accruals.domain.benefits,
accruals.domain.subsidies) on the lines the engine computed:

- a holder's category names the service kinds it covers and its mode. A service by area
  (maintenance, capital repair, heating, by method area) gets `area_benefit`; a service by volume
  `volume_benefit_parts` with the norm per person of the account's norms; other kinds none;
- **discount** mode: one line `method = benefit` per service line, amount −share: it lowers
  what is to pay, is posted to the ledger at close and shows in the receipt's benefits column;
- **cash_equivalent** mode (Altai Krai default): one line `method = benefit_cash`, amount
  +share: the «денежный эквивалент» for the УСЗН export; INFORMATIONAL (not payable);
- a subsidy decision: one line `method = subsidy`, service "", recipient 0 (УСЗН pays it),
  amount = the ПП 761 subsidy with ФР = the period's charges less the discounts; INFORMATIONAL.
  `standard_cost_kopecks` of the decision is the regional standard cost per family member
  (РСС for the family's size), as УСЗН decides it; `max_share_pct` is the decision's МДД.

Family size: the account's residents (at least the beneficiaries). Amounts and explanations are
the domain's; a holder's `persons` counts that many beneficiaries.
"""
from __future__ import annotations

import dataclasses
from decimal import Decimal

from accruals.domain import benefits as bn
from accruals.domain import subsidies as sb
from accruals.domain.charges import AccountInputs, ChargeLine
from accruals.domain.charges import norms as norm_rules
from accruals.domain.charges.money import ZERO

BENEFIT, BENEFIT_CASH, SUBSIDY = bn.BENEFIT_LINE, bn.CASH_EQUIVALENT_LINE, bn.SUBSIDY_LINE
INFORMATIONAL = bn.INFORMATIONAL_LINES   # shown and exported, never payable
RS, US = "\x1e", "\x1f"
NO_RECIPIENT = 0


def holders(text: str) -> list[tuple[frozenset[str], bn.Beneficiary]]:
    """(service kinds, beneficiary) from "id␟pct␟mode␟kinds␟persons␟category␞…"."""
    found = []
    for record in text.split(RS):
        holder_id, pct, mode, kinds, persons, category = record.split(US)
        for k in range(max(1, int(persons))):
            person = bn.Beneficiary(f"{holder_id}/{k + 1}" if int(persons) > 1 else holder_id, Decimal(pct), category, mode)
            found.append((frozenset(kinds.split(",")), person))
    return found


def lines(charges: list[ChargeLine], inputs: AccountInputs, holders_text: str | None, subsidy_text: str | None,
          benefit_settings: bn.BenefitSettings, subsidy_settings: sb.SubsidySettings) -> list[ChargeLine]:
    """The benefit and subsidy lines of one account (ValueError/ArithmeticError on bad data)."""
    extra: list[ChargeLine] = []
    if holders_text:
        people = holders(holders_text)
        family = max(inputs.residents, len(people))
        for service in inputs.services:
            covered = [person for kinds, person in people if service.kind in kinds]
            regular = bn.owed_lines([line for line in charges if line.service_code == service.code])
            basis = bn.benefit_basis(service.kind, service.method)
            if not covered or not regular or basis == bn.NONE:
                continue
            if basis == bn.AREA:
                charge = sum((line.amount for line in regular), ZERO)
                found = bn.area_benefit(service=service.code, charge=charge, area=inputs.total_area, family_size=family,
                                        beneficiaries=covered, settings=benefit_settings, period=inputs.period)
                parts = [((regular[0].component, "", ""), found)]
            else:
                norm = norm_rules.find_norm(inputs.norms.get(service.code, ()), norm_rules.norm_variant(inputs, service),
                                            inputs.rooms, inputs.residents, inputs.period)
                if norm is None:
                    continue              # no norm per person: the volume benefit cannot be bounded
                volume_lines = [line for line in regular if line.volume is not None and line.tariff is not None]
                parts = bn.volume_benefit_parts(service=service.code, lines=volume_lines, norm_per_person=norm.value,
                                                family_size=family, beneficiaries=covered, settings=benefit_settings,
                                                period=inputs.period)
            unit = regular[0].unit
            for (component, zone, band), found in parts:
                for share in found.shares:
                    if share.amount <= 0:
                        continue
                    discount = share.mode == bn.DISCOUNT
                    extra.append(ChargeLine(service.code, component, zone, band, BENEFIT if discount else BENEFIT_CASH,
                                            share.quantity, unit, None, -share.amount if discount else share.amount, False,
                                            share.category, share.explanation))
    if subsidy_text:
        members, income, standard, max_share, minimum = subsidy_text.split(RS)[0].split(US)
        payable = sum((line.amount for line in charges), ZERO) + sum((line.amount for line in extra if line.method == BENEFIT), ZERO)
        settings = dataclasses.replace(subsidy_settings, max_share_pct=Decimal(max_share))
        found = sb.subsidy(family_size=int(members), standard_cost_per_member=Decimal(standard) / 100,
                           family_income=Decimal(income) / 100, subsistence_minimum=Decimal(minimum) / 100,
                           actual_expenses=max(payable, ZERO), settings=settings)
        if found.amount > 0:
            extra.append(ChargeLine("", "", "", "", SUBSIDY, None, "", None, found.amount, False, "", found.explanation))
    return extra
