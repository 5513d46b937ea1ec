"""Knowledge: a device model's unit price (where known), experience notes with their append-only revisions, and an
index for the equipment comparison's return-to-ready times (movements by kind and time).

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime
from servicecenter.ledger_guard import (
    create_append_only_guard,
    create_truncate_guard,
    drop_append_only_guard,
    drop_truncate_guard,
)

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

ONE_SUBJECT = ("(CASE WHEN programme_id IS NULL THEN 0 ELSE 1 END + CASE WHEN device_model_id IS NULL THEN 0 ELSE 1 "
               "END + CASE WHEN municipality_id IS NULL THEN 0 ELSE 1 END) = 1")


def upgrade() -> None:
    op.add_column("device_models", sa.Column("unit_price", sa.Numeric(12, 2), nullable=True))
    op.create_index("ix_movements_kind_occurred", "movements", ["kind", "occurred_at"])
    op.create_table(
        "experience_notes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("programme_id", sa.Integer(), nullable=True),
        sa.Column("device_model_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("revision_count", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(ONE_SUBJECT, name=op.f("ck_experience_notes_one_subject")),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"],
                                name=op.f("fk_experience_notes_programme_id_programmes")),
        sa.ForeignKeyConstraint(["device_model_id"], ["device_models.id"],
                                name=op.f("fk_experience_notes_device_model_id_device_models")),
        sa.ForeignKeyConstraint(["municipality_id"], ["organisations.id"],
                                name=op.f("fk_experience_notes_municipality_id_organisations")),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_experience_notes_created_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experience_notes")),
    )
    op.create_index("ix_experience_notes_programme_id", "experience_notes", ["programme_id"])
    op.create_index("ix_experience_notes_device_model_id", "experience_notes", ["device_model_id"])
    op.create_index("ix_experience_notes_municipality_id", "experience_notes", ["municipality_id"])
    op.create_index("ix_experience_notes_updated", "experience_notes", ["updated_at", "id"])
    op.create_table(
        "experience_note_revisions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["note_id"], ["experience_notes.id"],
                                name=op.f("fk_experience_note_revisions_note_id_experience_notes")),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_experience_note_revisions_author_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experience_note_revisions")),
        sa.UniqueConstraint("note_id", "number", name="uq_experience_note_revisions_note_number"),
    )
    create_append_only_guard(op, "experience_note_revisions")
    create_truncate_guard(op, "experience_note_revisions")


def downgrade() -> None:
    drop_truncate_guard(op, "experience_note_revisions")
    drop_append_only_guard(op, "experience_note_revisions")
    op.drop_table("experience_note_revisions")
    op.drop_table("experience_notes")
    op.drop_index("ix_movements_kind_occurred", table_name="movements")
    # Not batch mode: on SQLite it copies the table and drops the old one, which the other tables' foreign keys
    # forbid; SQLite has dropped a column in place since 3.35.
    op.execute("ALTER TABLE device_models DROP COLUMN unit_price")
