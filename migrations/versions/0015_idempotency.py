"""Nothing done twice: the create forms' one-time keys (training's form token moves there) and at most one open
course per citizen and programme.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

OPEN_COURSE = "status NOT IN ('ending', 'ended')"


def upgrade() -> None:
    _refuse_duplicate_open_courses()  # first: nothing is changed on a database that needs a person's decision
    op.create_table(
        "idempotency_keys",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_idempotency_keys_user_id_users"),
                  nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_idempotency_keys"),
        sa.UniqueConstraint("key", name="uq_idempotency_keys_key"),
    )
    op.create_index("ix_idempotency_keys_created_at", "idempotency_keys", ["created_at"])
    # The training form's own token becomes a key like every other form's, so an old form still saves once.
    op.execute(
        "INSERT INTO idempotency_keys (key, kind, ref, user_id, created_at) "
        "SELECT form_token, CASE WHEN trainee_kind = 'staff' THEN 'training.new_staff' ELSE 'training.new' END, "
        "CAST(id AS VARCHAR(120)), recorded_by_id, recorded_at FROM training_records WHERE form_token IS NOT NULL")
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.drop_constraint("uq_training_records_form_token", type_="unique")
        batch_op.drop_column("form_token")

    op.create_index("uq_courses_one_open_per_programme", "courses", ["citizen_id", "programme_id"], unique=True,
                    sqlite_where=sa.text(OPEN_COURSE), postgresql_where=sa.text(OPEN_COURSE))


def _refuse_duplicate_open_courses() -> None:
    """Two open courses of one citizen on one programme cannot be merged by a migration: a person ends one."""
    duplicates = op.get_bind().execute(sa.text(
        "SELECT citizen_id, programme_id, COUNT(*) FROM courses WHERE status NOT IN ('ending', 'ended') "
        "GROUP BY citizen_id, programme_id HAVING COUNT(*) > 1")).all()
    if duplicates:
        listed = ", ".join(f"citizen {c} programme {p} ({n} courses)" for c, p, n in duplicates)
        raise RuntimeError(f"end the extra open courses before upgrading: {listed}")


def downgrade() -> None:
    op.drop_index("uq_courses_one_open_per_programme", table_name="courses")
    with op.batch_alter_table("training_records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("form_token", sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint("uq_training_records_form_token", ["form_token"])
    op.drop_index("ix_idempotency_keys_created_at", table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
