"""The unassigned ticket queue in deadline order: a partial index on the tickets nobody has yet.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UNASSIGNED = sa.text("assignee_id IS NULL")


def upgrade() -> None:
    op.create_index("ix_tickets_unassigned_queue", "tickets", ["is_active", "sla_due_at", "id"],
                    postgresql_where=UNASSIGNED, sqlite_where=UNASSIGNED)


def downgrade() -> None:
    op.drop_index("ix_tickets_unassigned_queue", "tickets")
