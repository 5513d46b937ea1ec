"""Ledgers refuse TRUNCATE on PostgreSQL as well as UPDATE and DELETE.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from servicecenter.ledger_guard import create_truncate_guard, drop_truncate_guard

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

LEDGERS = ("audit_events", "login_attempts", "movements", "signoffs")


def upgrade() -> None:
    for table in LEDGERS:
        create_truncate_guard(op, table)


def downgrade() -> None:
    for table in LEDGERS:
        drop_truncate_guard(op, table)
