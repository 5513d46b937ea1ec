"""An index on a device's serial number alone: the REST API's device search and FHIR's Device?identifier= find a
device by its serial without its model, and the unique (model_id, serial) index cannot serve that (a sequential
scan of 300,000 devices: 25-28 ms on PostgreSQL at national scale, measured when adding this).

Revision ID: 0031
Revises: 0030
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_devices_serial", "devices", ["serial"])


def downgrade() -> None:
    op.drop_index("ix_devices_serial", table_name="devices")
