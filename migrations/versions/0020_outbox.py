"""Messages out: the outbox, one row per SMS or e-mail to a person outside the system, written in the transaction of
its cause and sent after commit by the scheduler (servicecenter/outbox). The business key makes enqueueing
idempotent; the due index serves the worker's claim.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("channel", sa.Enum("sms", "email", name="messagechannel", native_enum=False, length=10),
                  nullable=False),
        sa.Column("recipient", sa.String(length=254), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.Enum("queued", "sending", "sent", "failed", "dead", name="messagestatus",
                                    native_enum=False, length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("provider_ref", sa.String(length=100), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_messages_key")),
    )
    op.create_index("ix_outbox_messages_due", "outbox_messages", ["status", "next_attempt_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_due", table_name="outbox_messages")
    op.drop_table("outbox_messages")
