"""Two indexes found by profiling the load benchmark's pages at national scale (issue 17):

- the visit queue sorted all 5,700 open visits' wide rows to show 26 (35 ms); its order is now read from an index
  that holds every column the ordering needs (status, urgency, citizen_request, earliest_on, id);
- the places of a kind (depots, vans, cleaning: the scan page's list, the stock forecast's depots) were a sequential
  scan of 100,000 holders, nearly all citizens' homes (5-7 ms).

Revision ID: 0032
Revises: 0031
"""

from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_visits_queue_order", "visits", ["status", "urgency", "citizen_request", "earliest_on", "id"])
    op.create_index("ix_holders_kind_name", "holders", ["kind", "name"])


def downgrade() -> None:
    op.drop_index("ix_holders_kind_name", table_name="holders")
    op.drop_index("ix_visits_queue_order", table_name="visits")
