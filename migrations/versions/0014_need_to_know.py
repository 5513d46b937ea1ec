"""Need to know: a technician's "break the glass" (one citizen outside his visits, with a reason, until the end of
the day), kept for the coordinators' review; the index that finds a technician's visits around a day; and a home's
name without its programme (the warehouse sees "a citizen's home", not that she has COPD).

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "glass_breaks",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("citizen_id", sa.Integer(), sa.ForeignKey("citizens.id"), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("until", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_glass_breaks_citizen_id", "glass_breaks", ["citizen_id"])
    op.create_index("ix_glass_breaks_at", "glass_breaks", ["at"])
    op.create_index("ix_glass_breaks_user_until", "glass_breaks", ["user_id", "until"])
    op.create_index("ix_visits_technician_day", "visits", ["technician_id", "scheduled_on"])
    op.execute("UPDATE holders SET name = 'Borgerhjem ' || course_id WHERE kind = 'course' AND course_id IS NOT NULL")


def downgrade() -> None:
    op.drop_index("ix_visits_technician_day", table_name="visits")
    op.drop_table("glass_breaks")
