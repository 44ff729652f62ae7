"""reference data, ledger, imports

Revision ID: 0002
Revises: 0001
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "benefit_categories",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("discount_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("mode", sa.Text(), server_default="cash_equivalent", nullable=False),
        sa.Column("service_kinds", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("area_norm_m2", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "imports",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("sha256", sa.Text(), nullable=False),
        sa.Column("filename", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), server_default="[]", nullable=False),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("imports_applied_file", "imports", ["kind", "sha256"], unique=True, postgresql_where=sa.text("status = 'applied'"))
    op.create_table(
        "organisations",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("inn", sa.Text(), nullable=False),
        sa.Column("kpp", sa.Text(), server_default="", nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("bank_account", sa.Text(), server_default="", nullable=False),
        sa.Column("bank_name", sa.Text(), server_default="", nullable=False),
        sa.Column("bic", sa.Text(), server_default="", nullable=False),
        sa.Column("corr_account", sa.Text(), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("inn", "kpp", name="organisations_inn_kpp"),
    )
    op.create_table(
        "penalty_moratoria",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "periods",
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("period"),
    )
    op.create_table(
        "houses",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("settlement", sa.Text(), server_default="urban", nullable=False),
        sa.Column("house_type", sa.Text(), server_default="apartment_building", nullable=False),
        sa.Column("electric_stove", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("heating_from", sa.Text(), server_default="10-01", nullable=False),
        sa.Column("heating_to", sa.Text(), server_default="05-15", nullable=False),
        sa.Column("has_heat_meter", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("total_area", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("common_area", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("management_company_id", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["management_company_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code"),
    )
    op.create_table(
        "services",
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["organisations.id"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "norms",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("service_code", sa.Text(), nullable=False),
        sa.Column("variant", sa.Text(), server_default="", nullable=False),
        sa.Column("rooms", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("residents", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_code", "variant", "rooms", "residents", "valid_from", name="norms_key"),
    )
    op.create_table(
        "premises",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("house_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), server_default="residential", nullable=False),
        sa.Column("rooms", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["house_id"],
            ["houses.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("house_id", "number", name="premises_house_number"),
    )
    op.create_table(
        "tariffs",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("service_code", sa.Text(), nullable=False),
        sa.Column("scope", sa.Text(), server_default="", nullable=False),
        sa.Column("variant", sa.Text(), server_default="", nullable=False),
        sa.Column("zone", sa.Text(), server_default="", nullable=False),
        sa.Column("component", sa.Text(), server_default="", nullable=False),
        sa.Column("range_from", sa.Numeric(), server_default="0", nullable=False),
        sa.Column("range_to", sa.Numeric(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("rate", sa.Numeric(precision=18, scale=6), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("service_code", "scope", "variant", "zone", "component", "range_from", "valid_from", name="tariffs_key"),
    )
    op.create_table(
        "accounts",
        sa.Column("number", sa.Text(), nullable=False),
        sa.Column("els", sa.Text(), nullable=True),
        sa.Column("premise_id", sa.BigInteger(), nullable=False),
        sa.Column("total_area", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("heated_area", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("living_area", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("residents", sa.SmallInteger(), nullable=False),
        sa.Column("registered", sa.SmallInteger(), nullable=False),
        sa.Column("owner_name", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), server_default="open", nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("meter_installable", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("receipt_code_generation", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["premise_id"],
            ["premises.id"],
        ),
        sa.PrimaryKeyConstraint("number"),
    )
    # Owner-name search: a trigram index where the server has pg_trgm (the embedded
    # development server does not; search then scans, which is fine at its size).
    op.execute("""
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
                CREATE INDEX accounts_owner_trgm ON accounts USING gin (owner_name gin_trgm_ops);
            END IF;
        END $$;
    """)
    op.create_index("accounts_premise", "accounts", ["premise_id"], unique=False)
    op.create_table(
        "absence_periods",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("persons", sa.SmallInteger(), nullable=False),
        sa.Column("departed_on", sa.Date(), nullable=False),
        sa.Column("returned_on", sa.Date(), nullable=False),
        sa.Column("document", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["account"],
            ["accounts.number"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("absence_periods_account", "absence_periods", ["account"], unique=False)
    op.create_table(
        "account_services",
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("service_code", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account"],
            ["accounts.number"],
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
        ),
        sa.PrimaryKeyConstraint("account", "service_code", "valid_from"),
    )
    op.create_table(
        "benefit_holders",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("category_code", sa.Text(), nullable=False),
        sa.Column("person_name", sa.Text(), nullable=False),
        sa.Column("persons", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account"],
            ["accounts.number"],
        ),
        sa.ForeignKeyConstraint(
            ["category_code"],
            ["benefit_categories.code"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("benefit_holders_account", "benefit_holders", ["account"], unique=False)
    op.create_table(
        "ledger_entries",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("recipient_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("amount_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("service_code", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), server_default="", nullable=False),
        sa.Column("reference", sa.Text(), server_default="", nullable=False),
        sa.Column("reverses", sa.BigInteger(), nullable=True),
        sa.Column("created_by", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"],
            ["accounts.number"],
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["organisations.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reverses"],
            ["ledger_entries.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("reverses"),
    )
    op.create_index(
        "ledger_account_date",
        "ledger_entries",
        ["account", "entry_date"],
        unique=False,
        postgresql_include=["recipient_id", "amount_kopecks"],
    )
    op.create_index("ledger_source", "ledger_entries", ["kind", "reference"], unique=True, postgresql_where=sa.text("reference <> ''"))
    op.create_table(
        "subsidy_decisions",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("account", sa.Text(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("family_members", sa.SmallInteger(), nullable=False),
        sa.Column("family_income_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("standard_cost_kopecks", sa.BigInteger(), nullable=False),
        sa.Column("max_share_pct", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("subsistence_minimum_kopecks", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account"],
            ["accounts.number"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("subsidy_decisions_account", "subsidy_decisions", ["account"], unique=False)


def downgrade():
    op.drop_index("subsidy_decisions_account", table_name="subsidy_decisions")
    op.drop_table("subsidy_decisions")
    op.drop_index("ledger_source", table_name="ledger_entries", postgresql_where=sa.text("reference <> ''"))
    op.drop_index("ledger_account_date", table_name="ledger_entries", postgresql_include=["recipient_id", "amount_kopecks"])
    op.drop_table("ledger_entries")
    op.drop_index("benefit_holders_account", table_name="benefit_holders")
    op.drop_table("benefit_holders")
    op.drop_table("account_services")
    op.drop_index("absence_periods_account", table_name="absence_periods")
    op.drop_table("absence_periods")
    op.drop_index("accounts_premise", table_name="accounts")
    op.execute("DROP INDEX IF EXISTS accounts_owner_trgm")
    op.drop_table("accounts")
    op.drop_table("tariffs")
    op.drop_table("premises")
    op.drop_table("norms")
    op.drop_table("services")
    op.drop_table("houses")
    op.drop_table("periods")
    op.drop_table("penalty_moratoria")
    op.drop_table("organisations")
    op.drop_index("imports_applied_file", table_name="imports", postgresql_where=sa.text("status = 'applied'"))
    op.drop_table("imports")
    op.drop_table("benefit_categories")
