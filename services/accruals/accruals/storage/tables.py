"""The accruals database: every table (Alembic migrations create them; see migrations/)."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from gorod_runtime.imports.table import imports_table

metadata = sa.MetaData()

MONEY = sa.BigInteger          # kopecks
RATE = sa.Numeric(18, 6)       # tariffs: up to 6 decimals
AREA = sa.Numeric(12, 2)       # m²
VOLUME = sa.Numeric            # full precision

# -- reference data ------------------------------------------------------------------------

organisations = sa.Table(
    "organisations", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("inn", sa.Text, nullable=False),            # 10 digits (legal entity) or 12
    sa.Column("kpp", sa.Text, nullable=False, server_default=""),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),           # management_company, supplier, recipient, settlement_centre
    sa.Column("bank_account", sa.Text, nullable=False, server_default=""),   # 20 digits
    sa.Column("bank_name", sa.Text, nullable=False, server_default=""),
    sa.Column("bic", sa.Text, nullable=False, server_default=""),            # 9 digits
    sa.Column("corr_account", sa.Text, nullable=False, server_default=""),   # 20 digits
    sa.UniqueConstraint("inn", "kpp", name="organisations_inn_kpp"),
)

houses = sa.Table(
    "houses", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("code", sa.Text, nullable=False, unique=True),      # the housing company's or FIAS id
    sa.Column("address", sa.Text, nullable=False),                # "г. Барнаул, ул. Ленина, д. 1"
    sa.Column("settlement", sa.Text, nullable=False, server_default="urban"),   # urban, rural
    sa.Column("house_type", sa.Text, nullable=False, server_default="apartment_building"),
    sa.Column("electric_stove", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("heating_from", sa.Text, nullable=False, server_default="10-01"),  # MM-DD, season start
    sa.Column("heating_to", sa.Text, nullable=False, server_default="05-15"),
    sa.Column("has_heat_meter", sa.Boolean, nullable=False, server_default=sa.false()),   # ОДПУ тепла
    sa.Column("total_area", AREA),          # S_об: all premises
    sa.Column("common_area", AREA),         # S_ои: common property
    sa.Column("management_company_id", sa.BigInteger, sa.ForeignKey("organisations.id")),
)

premises = sa.Table(
    "premises", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("house_id", sa.BigInteger, sa.ForeignKey("houses.id"), nullable=False),
    sa.Column("number", sa.Text, nullable=False),                 # flat number, "" for a private house
    sa.Column("kind", sa.Text, nullable=False, server_default="residential"),
    sa.Column("rooms", sa.SmallInteger),
    sa.UniqueConstraint("house_id", "number", name="premises_house_number"),
)

accounts = sa.Table(
    "accounts", metadata,
    sa.Column("number", sa.Text, primary_key=True),               # the personal account (ЛС)
    sa.Column("els", sa.Text),                                    # ЕЛС in ГИС ЖКХ, 10 characters
    sa.Column("premise_id", sa.BigInteger, sa.ForeignKey("premises.id"), nullable=False),
    sa.Column("total_area", AREA, nullable=False),
    sa.Column("heated_area", AREA, nullable=False),
    sa.Column("living_area", AREA),
    sa.Column("residents", sa.SmallInteger, nullable=False),      # living there (permanent and temporary)
    sa.Column("registered", sa.SmallInteger, nullable=False),     # registered persons
    sa.Column("owner_name", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False, server_default="open"),   # open, closed
    sa.Column("opened_on", sa.Date, nullable=False),
    sa.Column("closed_on", sa.Date),
    sa.Column("meter_installable", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("receipt_code_generation", sa.Integer, nullable=False, server_default="0"),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Index("accounts_premise", "premise_id"),
    # Owner search by the beginnings of the name's words: see migration 0005.
    sa.Index("accounts_owner_words", sa.text("to_tsvector('simple'::regconfig, owner_name)"), postgresql_using="gin"),
)

services = sa.Table(
    "services", metadata,
    sa.Column("code", sa.Text, primary_key=True),                 # e.g. "cold_water" or a supplier's code
    sa.Column("name", sa.Text, nullable=False),                   # Russian, as printed on the receipt
    # cold_water, hot_water, sewage, electricity, heating, gas, waste, maintenance, capital_repair, common_*
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),                   # m3, kWh, Gcal, m2, person, month
    sa.Column("method", sa.Text, nullable=False),                 # meter, norm, area, fixed, per_person
    sa.Column("recipient_id", sa.BigInteger, sa.ForeignKey("organisations.id"), nullable=False),
)

account_services = sa.Table(
    "account_services", metadata,
    sa.Column("account", sa.Text, sa.ForeignKey("accounts.number"), primary_key=True),
    sa.Column("service_code", sa.Text, sa.ForeignKey("services.code"), primary_key=True),
    sa.Column("valid_from", sa.Date, primary_key=True),
    sa.Column("valid_to", sa.Date),
)

tariffs = sa.Table(
    "tariffs", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("service_code", sa.Text, sa.ForeignKey("services.code"), nullable=False),
    sa.Column("scope", sa.Text, nullable=False, server_default=""),     # "" region-wide, else a house code
    sa.Column("variant", sa.Text, nullable=False, server_default=""),   # e.g. urban_electric_stove
    sa.Column("zone", sa.Text, nullable=False, server_default=""),      # "", day, night, peak, semi_peak
    sa.Column("component", sa.Text, nullable=False, server_default=""), # "", carrier, heat (two-component hot water)
    sa.Column("range_from", VOLUME, nullable=False, server_default="0"),  # monthly-volume range (electricity 2026)
    sa.Column("range_to", VOLUME),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date),                                     # inclusive; NULL = open
    sa.Column("rate", RATE, nullable=False),
    sa.UniqueConstraint("service_code", "scope", "variant", "zone", "component", "range_from", "valid_from",
                        name="tariffs_key"),
)

norms = sa.Table(
    "norms", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("service_code", sa.Text, sa.ForeignKey("services.code"), nullable=False),
    sa.Column("variant", sa.Text, nullable=False, server_default=""),   # e.g. bath_1500, heating_hot_water
    sa.Column("rooms", sa.SmallInteger, nullable=False, server_default="0"),      # 0 = any
    sa.Column("residents", sa.SmallInteger, nullable=False, server_default="0"),  # 0 = any
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date),
    sa.Column("value", VOLUME, nullable=False),
    sa.Column("unit", sa.Text, nullable=False),                         # m3/person, kWh/person, Gcal/m2, Gcal/m3
    sa.UniqueConstraint("service_code", "variant", "rooms", "residents", "valid_from", name="norms_key"),
)

benefit_categories = sa.Table(
    "benefit_categories", metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("discount_pct", sa.Numeric(5, 2), nullable=False),
    sa.Column("mode", sa.Text, nullable=False, server_default="cash_equivalent"),  # or discount
    sa.Column("service_kinds", pg.ARRAY(sa.Text), nullable=False),
    sa.Column("area_norm_m2", AREA),                                    # social area norm per person, if any
)

benefit_holders = sa.Table(
    "benefit_holders", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("account", sa.Text, sa.ForeignKey("accounts.number"), nullable=False),
    sa.Column("category_code", sa.Text, sa.ForeignKey("benefit_categories.code"), nullable=False),
    sa.Column("person_name", sa.Text, nullable=False),
    sa.Column("persons", sa.SmallInteger, nullable=False, server_default="1"),  # persons the benefit covers
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date),
    sa.Index("benefit_holders_account", "account"),
)

subsidy_decisions = sa.Table(
    "subsidy_decisions", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("account", sa.Text, sa.ForeignKey("accounts.number"), nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_to", sa.Date, nullable=False),
    sa.Column("family_members", sa.SmallInteger, nullable=False),
    sa.Column("family_income_kopecks", MONEY, nullable=False),          # monthly total income
    sa.Column("standard_cost_kopecks", MONEY, nullable=False),          # regional standard cost of housing
    sa.Column("max_share_pct", sa.Numeric(5, 2), nullable=False),       # МДД
    sa.Column("subsistence_minimum_kopecks", MONEY, nullable=False),    # for the low-income coefficient
    sa.Index("subsidy_decisions_account", "account"),
)

absence_periods = sa.Table(
    "absence_periods", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("account", sa.Text, sa.ForeignKey("accounts.number"), nullable=False),
    sa.Column("persons", sa.SmallInteger, nullable=False),
    sa.Column("departed_on", sa.Date, nullable=False),
    sa.Column("returned_on", sa.Date, nullable=False),
    sa.Column("document", sa.Text, nullable=False, server_default=""),
    sa.Index("absence_periods_account", "account"),
)

penalty_moratoria = sa.Table(
    "penalty_moratoria", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("from_date", sa.Date, nullable=False),
    sa.Column("to_date", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

periods = sa.Table(
    "periods", metadata,
    sa.Column("period", sa.Date, primary_key=True),                     # first day of the month
    sa.Column("status", sa.Text, nullable=False, server_default="open"),  # open, draft, closed
    sa.Column("closed_at", sa.DateTime(timezone=True)),
)

# -- the ledger ----------------------------------------------------------------------------

ledger_entries = sa.Table(
    "ledger_entries", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    # No foreign keys (migration 0006): every writer reads or locks what an entry refers to.
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("recipient_id", sa.BigInteger, nullable=False),
    # opening_balance, charge, payment, penalty, correction, refund, reversal
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("amount_kopecks", MONEY, nullable=False),    # + the resident owes more, − less
    sa.Column("entry_date", sa.Date, nullable=False),      # business date in GOROD_TZ
    sa.Column("period", sa.Date, nullable=False),          # the settlement period it belongs to
    sa.Column("service_code", sa.Text),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),
    # Where it came from: payment id, import line key, run id, correction request key.
    sa.Column("reference", sa.Text, nullable=False, server_default=""),
    sa.Column("reverses", sa.BigInteger),                   # the entry a reversal reverses
    sa.Column("created_by", sa.Text, nullable=False, server_default=""),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    # Balances as of a date read only this index.
    sa.Index("ledger_account_date", "account", "entry_date", postgresql_include=["recipient_id", "amount_kopecks"]),
    # The same source never books twice (payments, imported lines, corrections).
    sa.Index("ledger_source", "kind", "reference", unique=True, postgresql_where=sa.text("reference <> ''")),
    # An entry is reversed at most once.
    sa.Index("ledger_reversal", "reverses", unique=True, postgresql_where=sa.text("reverses IS NOT NULL")),
)

# Payments that could not be booked (unknown account or recipient): kept for an operator.
unmatched_payments = sa.Table(
    "unmatched_payments", metadata,
    sa.Column("payment_id", sa.Text, primary_key=True),
    sa.Column("account", sa.Text, nullable=False),
    sa.Column("amount_kopecks", MONEY, nullable=False),
    sa.Column("recipient_inn", sa.Text, nullable=False, server_default=""),
    sa.Column("channel", sa.Text, nullable=False, server_default=""),
    sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("external_id", sa.Text, nullable=False, server_default=""),
    sa.Column("reason", sa.Text, nullable=False),          # account.not_found, recipient.not_found, account.no_recipients
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("resolved_at", sa.DateTime(timezone=True)),
    sa.Index("unmatched_payments_open", "received_at", postgresql_where=sa.text("resolved_at IS NULL")),
)


# -- imports and the readings projection ----------------------------------------------------

imports = imports_table(metadata)      # the kit's: one row per import

# Projection of meters.reading-submitted.v1: the latest reading per meter, zone and period.
consumption = sa.Table(
    "consumption", metadata,
    sa.Column("account", sa.Text, primary_key=True),
    sa.Column("meter_id", sa.Text, primary_key=True),
    sa.Column("zone", sa.Text, primary_key=True),
    sa.Column("period", sa.Date, primary_key=True),
    sa.Column("service", sa.Text, nullable=False),
    sa.Column("value", VOLUME, nullable=False),
    sa.Column("consumption", VOLUME),
    sa.Column("reading_id", pg.UUID(as_uuid=False), nullable=False),
    sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
)


# -- monthly runs (migration 0004; docs/monthly-run.md) --------------------------------------

# One row per run of `python -m accruals.run`: a period and a partition (part of parts).
runs = sa.Table(
    "runs", metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(), primary_key=True),
    sa.Column("period", sa.Date, nullable=False),                     # first day of the month
    sa.Column("part", sa.SmallInteger, nullable=False),               # 1..parts: account_partition(number, parts)
    sa.Column("parts", sa.SmallInteger, nullable=False),
    sa.Column("status", sa.Text, nullable=False),                     # running, draft, superseded, closed, failed
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("accounts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lines", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("charges_kopecks", MONEY, nullable=False, server_default="0"),
    sa.Column("penalties_kopecks", MONEY, nullable=False, server_default="0"),
    sa.Column("errors", sa.Integer, nullable=False, server_default="0"),      # accounts that could not be charged
    sa.Column("problems", pg.JSONB, nullable=False, server_default="[]"),    # the first of them
    sa.Column("settings", pg.JSONB, nullable=False),                           # engine and penalty settings used
    sa.Column("settings_hash", sa.Text, nullable=False),
    sa.Column("created_by", sa.Text, nullable=False, server_default=""),
    sa.CheckConstraint("part BETWEEN 1 AND parts", name="runs_part"),
    sa.CheckConstraint("status IN ('running', 'draft', 'superseded', 'closed', 'failed')", name="runs_status"),
    sa.Index("runs_period", "period", "id"),
)

# The lines of every run; partitioned by run (LIST (run_id)): each run creates its own
# partition charge_lines_r<id>, and a superseded run is pruned with one DROP TABLE. No foreign
# keys (the run is the only writer and reads what it refers to); ~9 lines per account.
charge_lines = sa.Table(
    "charge_lines", metadata,
    sa.Column("run_id", sa.BigInteger, primary_key=True),
    sa.Column("account", sa.Text(collation="C"), primary_key=True),
    sa.Column("line_no", sa.SmallInteger, primary_key=True),          # the engine's order within the account
    sa.Column("service_code", sa.Text, nullable=False),               # "" for a penalty line
    sa.Column("recipient_id", sa.BigInteger, nullable=False),
    sa.Column("component", sa.Text, nullable=False, server_default=""),
    sa.Column("zone", sa.Text, nullable=False, server_default=""),
    sa.Column("band", sa.Text, nullable=False, server_default=""),
    sa.Column("method", sa.Text, nullable=False),                     # the engine's method, or "penalty"
    sa.Column("volume", VOLUME),
    sa.Column("unit", sa.Text, nullable=False, server_default=""),
    sa.Column("tariff", VOLUME),
    sa.Column("amount_kopecks", MONEY, nullable=False),
    sa.Column("recalculation", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("reason", sa.Text, nullable=False, server_default=""),   # catch_up, absence
    # The explanation, compactly: its shape (formula, input names, step labels, notes; shared)
    # and its values (the inputs' and steps' values joined by U+001F). accruals.run.explain.
    sa.Column("shape", sa.BigInteger),
    sa.Column("facts", sa.Text),
    postgresql_partition_by="LIST (run_id)",
)

# The shared part of explanations: id = a 63-bit hash of the body, so any process can name it.
explanation_shapes = sa.Table(
    "explanation_shapes", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("body", pg.JSONB, nullable=False),     # {"method", "formula", "inputs": [names], "steps": [labels], "notes"}
)
