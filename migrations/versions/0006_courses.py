"""courses: referral, lead, end reasons, handovers

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 06:15:06.495144
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('handovers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('from_organisation_id', sa.Integer(), nullable=False),
    sa.Column('to_organisation_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('offered', 'accepted', 'declined', 'withdrawn', name='handoverstatus', native_enum=False, length=20), nullable=False),
    sa.Column('offered_by_id', sa.Integer(), nullable=True),
    sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_handovers_answered_by_id_users')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_handovers_course_id_courses')),
    sa.ForeignKeyConstraint(['from_organisation_id'], ['organisations.id'], name=op.f('fk_handovers_from_organisation_id_organisations')),
    sa.ForeignKeyConstraint(['offered_by_id'], ['users.id'], name=op.f('fk_handovers_offered_by_id_users')),
    sa.ForeignKeyConstraint(['to_organisation_id'], ['organisations.id'], name=op.f('fk_handovers_to_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_handovers'))
    )
    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handovers_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_handovers_to_status', ['to_organisation_id', 'status'], unique=False)

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('referred_by_organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('referred_by_user_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('referred_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('lead_organisation_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('end_reason', sa.Enum('completed', 'deceased', 'moved', 'declined', 'excluded', name='endreason', native_enum=False, length=20), nullable=True))
        batch_op.add_column(sa.Column('exclusion_reason', sa.Enum('no_coverage', 'unable_to_use', 'not_clinically_relevant', 'other', name='exclusionreason', native_enum=False, length=30), nullable=True))
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('is_sensitive', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_index(batch_op.f('ix_courses_lead_organisation_id'), ['lead_organisation_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_courses_referred_by_organisation_id_organisations'), 'organisations', ['referred_by_organisation_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_courses_lead_organisation_id_organisations'), 'organisations', ['lead_organisation_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_courses_referred_by_user_id_users'), 'users', ['referred_by_user_id'], ['id'])

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('follow_up_days', sa.Integer(), nullable=False, server_default='14'))
        batch_op.add_column(sa.Column('checklist', sa.JSON(), nullable=True))


    # Courses made before there was a lead actor get the region, so no course is without one.
    op.execute("UPDATE courses SET lead_organisation_id = (SELECT id FROM organisations WHERE kind = 'region' "
               "ORDER BY id LIMIT 1) WHERE lead_organisation_id IS NULL")


def downgrade() -> None:

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('checklist')
        batch_op.drop_column('follow_up_days')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_courses_referred_by_user_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_courses_lead_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_courses_referred_by_organisation_id_organisations'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_courses_lead_organisation_id'))
        batch_op.drop_column('is_sensitive')
        batch_op.drop_column('ended_at')
        batch_op.drop_column('exclusion_reason')
        batch_op.drop_column('end_reason')
        batch_op.drop_column('lead_organisation_id')
        batch_op.drop_column('referred_at')
        batch_op.drop_column('referred_by_user_id')
        batch_op.drop_column('referred_by_organisation_id')

    with op.batch_alter_table('handovers', schema=None) as batch_op:
        batch_op.drop_index('ix_handovers_to_status')
        batch_op.drop_index(batch_op.f('ix_handovers_course_id'))

    op.drop_table('handovers')

