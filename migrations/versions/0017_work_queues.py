"""Start pages and the caller lookup: a relative's phone finds the citizen (contact_persons.phone_key, digits only,
indexed), and the indexes the start pages' counts need so they cost the same at national scale (devices by status,
a nurse organisation's requests, courses ending by date, booked visits by day).

Revision ID: 0017
Revises: 0016
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _key(phone):
    """The same rule as servicecenter.citizens.service.phone_key, frozen here as it was when this ran."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("0045"):
        digits = digits[4:]
    elif digits.startswith("45") and len(digits) == 10:
        digits = digits[2:]
    return digits or None


def upgrade() -> None:
    op.add_column("contact_persons", sa.Column("phone_key", sa.String(length=20), nullable=True))
    contacts = sa.table("contact_persons", sa.column("id", sa.Integer), sa.column("phone", sa.String),
                        sa.column("phone_key", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(contacts.c.id, contacts.c.phone).where(contacts.c.phone.is_not(None))).all()
    for contact_id, phone in rows:
        connection.execute(contacts.update().where(contacts.c.id == contact_id).values(phone_key=_key(phone)))
    op.create_index("ix_contact_persons_phone_key", "contact_persons", ["phone_key"])
    # Status first (the warehouse's counts); kit, holder and model after it make the stock of ready kits an
    # index-only range of the ready devices in kit order (SQLite otherwise may walk every kitted device by kit).
    op.create_index("ix_devices_status", "devices", ["status", "kit_id", "holder_id", "model_id"])
    op.create_index("ix_visits_requested_by_at", "visits", ["requested_by_id", "requested_at"])
    op.create_index("ix_courses_status_ended", "courses", ["status", "ended_at"])
    # The planner's next day (min(scheduled_on) of the booked visits) is one index seek, not a read of every
    # booked visit; the warehouse's setups to pack read only the coming week's booked visits.
    op.create_index("ix_visits_status_scheduled", "visits", ["status", "scheduled_on"])


def downgrade() -> None:
    op.drop_index("ix_visits_status_scheduled", table_name="visits")
    op.drop_index("ix_courses_status_ended", table_name="courses")
    op.drop_index("ix_visits_requested_by_at", table_name="visits")
    op.drop_index("ix_devices_status", table_name="devices")
    op.drop_index("ix_contact_persons_phone_key", table_name="contact_persons")
    op.drop_column("contact_persons", "phone_key")
