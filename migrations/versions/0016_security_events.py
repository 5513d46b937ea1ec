"""Security events: every audit row carries the client's address and the request id; rate-limit hits (searches,
record opens, exports per person in a sliding window).

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy on SQLite): the table keeps its append-only triggers.
    op.add_column("audit_events", sa.Column("address", sa.String(length=45), nullable=True))
    op.add_column("audit_events", sa.Column("request_id", sa.String(length=32), nullable=True))
    op.create_table(
        "rate_limit_hits",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_rate_limit_hits_user_kind_at", "rate_limit_hits", ["user_id", "kind", "at"])


def downgrade() -> None:
    op.drop_index("ix_rate_limit_hits_user_kind_at", table_name="rate_limit_hits")
    op.drop_table("rate_limit_hits")
    op.drop_column("audit_events", "request_id")
    op.drop_column("audit_events", "address")
