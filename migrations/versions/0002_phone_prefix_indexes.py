"""Phone search keys get prefix indexes (text_pattern_ops) so LIKE '2356%' uses them on PostgreSQL too.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COLUMNS = ("phone_key", "mobile_key")


def upgrade() -> None:
    with op.batch_alter_table("citizens") as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_citizens_{column}")
            batch_op.create_index(f"ix_citizens_{column}", [column], postgresql_ops={column: "text_pattern_ops"})


def downgrade() -> None:
    with op.batch_alter_table("citizens") as batch_op:
        for column in COLUMNS:
            batch_op.drop_index(f"ix_citizens_{column}")
            batch_op.create_index(f"ix_citizens_{column}", [column])
