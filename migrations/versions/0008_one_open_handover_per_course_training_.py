"""one open handover per course, training form token, depot coordinates

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 07:08:57.133394
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index('uq_handovers_one_open_offer', ['course_id'], unique=True, sqlite_where=sa.text("status = 'offered'"), postgresql_where=sa.text("status = 'offered'"))

    with op.batch_alter_table('holders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('latitude', sa.Double(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Double(), nullable=True))

    with op.batch_alter_table('training_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sa.String(length=40), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_training_records_form_token'), ['form_token'])



def downgrade() -> None:
    with op.batch_alter_table('training_records', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_training_records_form_token'), type_='unique')
        batch_op.drop_column('form_token')

    with op.batch_alter_table('holders', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')

    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index('uq_handovers_one_open_offer', sqlite_where=sa.text("status = 'offered'"), postgresql_where=sa.text("status = 'offered'"))

