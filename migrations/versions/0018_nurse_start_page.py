"""The nurse's start page at national scale: a visit keeps the organisation that requested it (her organisation's
requests are one ordered index range and its open ones a few short ones, and they stay with the organisation when a
nurse moves on), the follow-ups not yet held are one range by due date, and a person's recently opened citizens one
range of her own audit rows.

Revision ID: 0018
Revises: 0017
"""

from alembic import op

from servicecenter.migrations import add_reference, drop_reference

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_reference(op, "visits", "requested_by_organisation_id", "organisations")
    # Existing requests: the requester's organisation now (the best that is known of then).
    op.execute("UPDATE visits SET requested_by_organisation_id = "
               "(SELECT users.organisation_id FROM users WHERE users.id = visits.requested_by_id) "
               "WHERE requested_by_id IS NOT NULL")
    op.create_index("ix_visits_requesting_organisation_at", "visits", ["requested_by_organisation_id", "requested_at"])
    # Her organisation's open requests: a range per open status, not a walk through every request it ever made.
    op.create_index("ix_visits_requesting_organisation_status", "visits", ["requested_by_organisation_id", "status"])
    op.drop_index("ix_training_records_follow_up_due", table_name="training_records")
    op.create_index("ix_training_records_follow_up_open", "training_records", ["follow_up_held_at", "follow_up_due_on"])
    # Plain CREATE INDEX: the audit log's append-only triggers stay.
    op.create_index("ix_audit_events_actor_action_at", "audit_events", ["actor_id", "action", "at"])


def downgrade() -> None:
    op.drop_index("ix_audit_events_actor_action_at", table_name="audit_events")
    op.drop_index("ix_training_records_follow_up_open", table_name="training_records")
    op.create_index("ix_training_records_follow_up_due", "training_records", ["follow_up_due_on", "follow_up_held_at"])
    op.drop_index("ix_visits_requesting_organisation_status", table_name="visits")
    op.drop_index("ix_visits_requesting_organisation_at", table_name="visits")
    drop_reference(op, "visits", "requested_by_organisation_id", "organisations")
