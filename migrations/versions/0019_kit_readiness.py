"""A kit keeps where it stands ready (`kits.ready_at_id`: complete, every member ready, all on one depot's shelf),
derived with every move, pack and unpack, so the stock against minimums reads the ready kits alone rather than
grouping every ready device at each start page. Existing kits are derived here by the same rule, frozen in SQL as it
was when this ran; `flask inventory verify` compares the kept answer with the rule.

Revision ID: 0019
Revises: 0018
"""

from alembic import op

from servicecenter.migrations import add_reference, drop_reference

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# One depot, every member ready there, and for each category the template asks for at least that many members.
DERIVE = """
UPDATE kits SET ready_at_id = (
    SELECT min(d.holder_id) FROM devices d JOIN holders h ON h.id = d.holder_id
    WHERE d.kit_id = kits.id
    HAVING count(*) = sum(CASE WHEN d.status = 'ready' THEN 1 ELSE 0 END)
       AND count(DISTINCT d.holder_id) = 1
       AND min(h.kind) = 'depot'
       AND NOT EXISTS (
           SELECT 1 FROM kit_template_items i WHERE i.template_id = kits.template_id
           GROUP BY i.category
           HAVING sum(i.quantity) > (SELECT count(*) FROM devices m JOIN device_models dm ON dm.id = m.model_id
                                     WHERE m.kit_id = kits.id AND dm.category = i.category)))
"""


def upgrade() -> None:
    add_reference(op, "kits", "ready_at_id", "holders")
    op.execute(DERIVE)
    op.create_index("ix_kits_ready_at", "kits", ["ready_at_id", "template_id"])


def downgrade() -> None:
    op.drop_index("ix_kits_ready_at", table_name="kits")
    drop_reference(op, "kits", "ready_at_id", "holders")
