"""The portal: one-time sign-in codes and every attempt, portal sessions at a level of assurance, and relatives'
access granted by the citizen (proxy_grants).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.db import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number_key", sa.String(20), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_codes")),
    )
    op.create_index("ix_portal_codes_number_created", "portal_codes", ["number_key", "created_at"])
    op.create_table(
        "portal_attempts",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("number_key", sa.String(20), nullable=False),
        sa.Column("address", sa.String(45), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_attempts")),
    )
    op.create_index("ix_portal_attempts_number_kind_at", "portal_attempts", ["number_key", "kind", "at"])
    op.create_index("ix_portal_attempts_address_kind_at", "portal_attempts", ["address", "kind", "at"])
    op.create_table(
        "proxy_grants",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("relative_name", sa.String(120), nullable=False),
        sa.Column("relative_cpr", sa.String(10), nullable=False),
        sa.Column("scope", sa.Enum("visits", "devices", "everything", name="grantscope", native_enum=False,
                                   length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("granted_at", UTCDateTime(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_at", UTCDateTime(), nullable=True),
        sa.Column("withdrawn_by_id", sa.Integer(), nullable=True),
        sa.Column("withdrawn_reason", sa.String(200), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_proxy_grants_citizen_id_citizens")),
        sa.ForeignKeyConstraint(["contact_id"], ["contact_persons.id"], ondelete="SET NULL",
                                name=op.f("fk_proxy_grants_contact_id_contact_persons")),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"], name=op.f("fk_proxy_grants_granted_by_id_users")),
        sa.ForeignKeyConstraint(["withdrawn_by_id"], ["users.id"],
                                name=op.f("fk_proxy_grants_withdrawn_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proxy_grants")),
    )
    op.create_index("ix_proxy_grants_citizen_id", "proxy_grants", ["citizen_id"])
    op.create_index("ix_proxy_grants_relative_cpr", "proxy_grants", ["relative_cpr"])
    op.create_table(
        "portal_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("citizen_id", sa.Integer(), nullable=False),
        sa.Column("grant_id", sa.Integer(), nullable=True),
        sa.Column("assurance", sa.Enum("low", "substantial", name="assurance", native_enum=False, length=12),
                  nullable=False),
        sa.Column("number_key", sa.String(20), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["citizen_id"], ["citizens.id"], name=op.f("fk_portal_sessions_citizen_id_citizens")),
        sa.ForeignKeyConstraint(["grant_id"], ["proxy_grants.id"],
                                name=op.f("fk_portal_sessions_grant_id_proxy_grants")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_portal_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_portal_sessions_token_hash")),
    )
    op.create_index("ix_portal_sessions_citizen_id", "portal_sessions", ["citizen_id"])


def downgrade() -> None:
    op.drop_table("portal_sessions")
    op.drop_table("proxy_grants")
    op.drop_table("portal_attempts")
    op.drop_table("portal_codes")
