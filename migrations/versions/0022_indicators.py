"""Indicators and the monthly report: where each citizen lived from when (citizen_municipalities, back-filled with
her record's municipality since she was registered), the indicator cells per month, and the monthly reports with
their deviations.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime
from servicecenter.ledger_guard import (
    create_append_only_guard,
    create_truncate_guard,
    drop_append_only_guard,
    drop_truncate_guard,
)

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_municipalities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("municipality_id", sa.Integer(), nullable=False),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"],
                                name=op.f("fk_citizen_municipalities_citizen_id_citizens")),
        sa.ForeignKeyConstraint(["municipality_id"], ["organisations.id"],
                                name=op.f("fk_citizen_municipalities_municipality_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_citizen_municipalities")),
    )
    op.create_index("ix_citizen_municipalities_citizen_since", "citizen_municipalities", ["citizen_id", "since"])
    op.execute("INSERT INTO citizen_municipalities (citizen_id, municipality_id, since) "
               "SELECT id, municipality_id, created_at FROM citizens")
    create_append_only_guard(op, "citizen_municipalities")
    create_truncate_guard(op, "citizen_municipalities")
    op.create_table(
        "indicator_cells",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("indicator", sa.String(30), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("key", sa.String(30), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_indicator_cells_programme_id_programmes")),
        sa.ForeignKeyConstraint(["municipality_id"], ["organisations.id"],
                                name=op.f("fk_indicator_cells_municipality_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indicator_cells")),
    )
    op.create_index("ix_indicator_cells_month_indicator", "indicator_cells", ["month", "indicator"])
    op.create_table(
        "indicator_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_indicator_months")),
    )
    op.create_table(
        "monthly_reports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("status", sa.Enum("draft", "released", name="reportstatus", native_enum=False, length=20),
                  nullable=False),
        sa.Column("generated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("figures", sa.Text(), nullable=False),
        sa.Column("released_at", UTCDateTime(), nullable=True),
        sa.Column("released_by_id", sa.Integer(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["released_by_id"], ["users.id"], name=op.f("fk_monthly_reports_released_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monthly_reports")),
        sa.UniqueConstraint("month", name="uq_monthly_reports_month"),
    )
    op.create_table(
        "report_deviations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("cause", sa.String(1000), nullable=True),
        sa.Column("action", sa.String(1000), nullable=True),
        sa.Column("written_by_id", sa.Integer(), nullable=True),
        sa.Column("written_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["report_id"], ["monthly_reports.id"],
                                name=op.f("fk_report_deviations_report_id_monthly_reports")),
        sa.ForeignKeyConstraint(["written_by_id"], ["users.id"], name=op.f("fk_report_deviations_written_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_deviations")),
    )
    op.create_index("ix_report_deviations_report_id", "report_deviations", ["report_id"])


def downgrade() -> None:
    op.drop_table("report_deviations")
    op.drop_table("monthly_reports")
    op.drop_table("indicator_months")
    op.drop_table("indicator_cells")
    drop_truncate_guard(op, "citizen_municipalities")
    drop_append_only_guard(op, "citizen_municipalities")
    op.drop_table("citizen_municipalities")
