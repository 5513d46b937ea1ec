"""Devices that do not come back: a case per ended course whose devices stayed in the home, its devices, and its
append-only history (reminders, escalation, the write-off proposed and approved, or the devices' return).

Revision ID: 0024
Revises: 0023
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

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "non_return_cases",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("stage_since", UTCDateTime(), nullable=False),
        sa.Column("next_step_on", sa.Date(), nullable=True),
        sa.Column("proposed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        _fk("non_return_cases", "course_id", "courses"),
        _fk("non_return_cases", "citizen_id", "citizens"),
        _fk("non_return_cases", "proposed_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_non_return_cases")),
        sa.UniqueConstraint("course_id", name=op.f("uq_non_return_cases_course_id")),
    )
    op.create_index("ix_non_return_cases_citizen_id", "non_return_cases", ["citizen_id"])
    op.create_index("ix_non_return_cases_stage", "non_return_cases", ["stage"])
    op.create_table(
        "non_return_events",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("stage", sa.String(30), nullable=False),
        sa.Column("devices", sa.String(500), nullable=False),
        sa.Column("note", sa.String(1000), nullable=True),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        _fk("non_return_events", "case_id", "non_return_cases"),
        _fk("non_return_events", "citizen_id", "citizens"),
        _fk("non_return_events", "actor_id", "users"),
        _fk("non_return_events", "outbox_message_id", "outbox_messages"),
        _fk("non_return_events", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_non_return_events")),
    )
    op.create_index("ix_non_return_events_case_id", "non_return_events", ["case_id"])
    op.create_index("ix_non_return_events_citizen_at", "non_return_events", ["citizen_id", "at", "id"])
    op.create_table(
        "non_return_devices",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        _fk("non_return_devices", "case_id", "non_return_cases"),
        _fk("non_return_devices", "device_id", "devices"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_non_return_devices")),
        sa.UniqueConstraint("case_id", "device_id", name="uq_non_return_devices_case_device"),
    )
    op.create_index("ix_non_return_devices_device_id", "non_return_devices", ["device_id"])
    for table in ("non_return_events", "non_return_devices"):
        create_append_only_guard(op, table)
        create_truncate_guard(op, table)


def downgrade() -> None:
    for table in ("non_return_devices", "non_return_events"):
        drop_truncate_guard(op, table)
        drop_append_only_guard(op, table)
    op.drop_table("non_return_devices")
    op.drop_table("non_return_events")
    op.drop_table("non_return_cases")
