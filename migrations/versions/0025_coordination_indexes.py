"""Indexes for the coordinator's figures: the stock forecast reads the setups booked through visits by kind and
status; the first-setup indicator reads a month's finished setups through visits by kind and finish, and looks back
along each one's course through visits by course, kind and finish.

Revision ID: 0025
Revises: 0024
"""

from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_visits_kind_status", "visits", ["kind", "status"])
    op.create_index("ix_visits_kind_finished", "visits", ["kind", "finished_at"])
    op.create_index("ix_visits_course_kind_finished", "visits", ["course_id", "kind", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_visits_course_kind_finished", table_name="visits")
    op.drop_index("ix_visits_kind_finished", table_name="visits")
    op.drop_index("ix_visits_kind_status", table_name="visits")
