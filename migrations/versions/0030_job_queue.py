"""The job queue (servicecenter/queue.py): long work such as optimising a day runs as a job, enqueued by the
request's own transaction, taken by a worker under a lease. At most one pending or running job per kind and key.

Revision ID: 0030
Revises: 0028
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime

revision = "0030"
down_revision = "0028"
branch_labels = None
depends_on = None

LIVE = sa.text("status IN ('pending', 'running')")


def upgrade() -> None:
    op.create_table(
        "queued_jobs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(60), nullable=False),
        sa.Column("key", sa.String(120), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("run_after", UTCDateTime(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=True),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("worker", sa.String(120), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
    )
    op.create_index("uq_queued_jobs_live_key", "queued_jobs", ["kind", "key"], unique=True,
                    postgresql_where=LIVE, sqlite_where=LIVE)
    op.create_index("ix_queued_jobs_status_run_after", "queued_jobs", ["status", "run_after"])


def downgrade() -> None:
    op.drop_index("ix_queued_jobs_status_run_after", table_name="queued_jobs")
    op.drop_index("uq_queued_jobs_live_key", table_name="queued_jobs")
    op.drop_table("queued_jobs")
