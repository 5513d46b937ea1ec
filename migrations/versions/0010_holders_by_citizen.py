"""A citizen's homes are found by citizen (the timeline and the as-of queries start there).

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_holders_citizen_id", "holders", ["citizen_id"])


def downgrade() -> None:
    op.drop_index("ix_holders_citizen_id", "holders")
