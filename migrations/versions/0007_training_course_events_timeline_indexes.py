"""training, course events, timeline indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 06:39:08.797299
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.ledger_guard import (
    create_append_only_guard,
    create_truncate_guard,
    drop_append_only_guard,
    drop_truncate_guard,
)

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('course_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('referred', 'status', 'ended', 'handover_offered', 'handover_accepted', 'handover_declined', 'handover_withdrawn', name='courseeventkind', native_enum=False, length=30), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_course_events_actor_id_users')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_course_events_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_course_events_course_id_courses')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_course_events_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_course_events'))
    )
    with op.batch_alter_table('course_events', schema=None) as batch_op:
        batch_op.create_index('ix_course_events_citizen_at', ['citizen_id', 'at', 'id'], unique=False)
    # Courses referred before there was a course history get their referral as the first event.
    op.execute("INSERT INTO course_events (course_id, citizen_id, kind, at, actor_id, organisation_id, to_status) "
               "SELECT id, citizen_id, 'referred', COALESCE(referred_at, created_at), referred_by_user_id, "
               "referred_by_organisation_id, 'referred' FROM courses")
    create_append_only_guard(op, 'course_events')
    create_truncate_guard(op, 'course_events')

    op.create_table('training_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('trainee_kind', sa.Enum('citizen', 'relative', 'staff', name='traineekind', native_enum=False, length=20), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('trainee_name', sa.String(length=120), nullable=True),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('trainer_id', sa.Integer(), nullable=False),
    sa.Column('held_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.Enum('home_visit', 'phone', 'video', 'group', name='trainingmethod', native_enum=False, length=20), nullable=False),
    sa.Column('checklist', sa.JSON(), nullable=False),
    sa.Column('device_models', sa.JSON(), nullable=False),
    sa.Column('result', sa.Enum('passed', 'partly', 'not_passed', name='trainingresult', native_enum=False, length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('follow_up_due_on', sa.Date(), nullable=True),
    sa.Column('follow_up_held_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('follow_up_by_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_note', sa.String(length=500), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_training_records_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_training_records_course_id_courses')),
    sa.ForeignKeyConstraint(['follow_up_by_id'], ['users.id'], name=op.f('fk_training_records_follow_up_by_id_users')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_training_records_programme_id_programmes')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_training_records_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['users.id'], name=op.f('fk_training_records_staff_user_id_users')),
    sa.ForeignKeyConstraint(['trainer_id'], ['users.id'], name=op.f('fk_training_records_trainer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_records'))
    )
    with op.batch_alter_table('training_records', schema=None) as batch_op:
        batch_op.create_index('ix_training_records_citizen_follow_up', ['citizen_id', 'follow_up_held_at', 'id'], unique=False)
        batch_op.create_index('ix_training_records_citizen_held', ['citizen_id', 'held_at', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_records_course_id'), ['course_id'], unique=False)
        batch_op.create_index('ix_training_records_follow_up_due', ['follow_up_due_on', 'follow_up_held_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_records_staff_user_id'), ['staff_user_id'], unique=False)

    op.create_table('staff_competences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('trained_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=False),
    sa.Column('training_record_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_staff_competences_programme_id_programmes')),
    sa.ForeignKeyConstraint(['training_record_id'], ['training_records.id'], name=op.f('fk_staff_competences_training_record_id_training_records')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_staff_competences_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_competences')),
    sa.UniqueConstraint('user_id', 'programme_id', name='uq_staff_competences_user_programme')
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_referred_by_organisation_id'), ['referred_by_organisation_id'], unique=False)

    # Plain CREATE INDEX (no batch): the ledger's append-only triggers must survive on SQLite.
    op.create_index('ix_movements_from_holder_occurred', 'movements', ['from_holder_id', 'occurred_at', 'id'])
    op.create_index('ix_movements_to_holder_occurred', 'movements', ['to_holder_id', 'occurred_at', 'id'])

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('competence_months', sa.Integer(), nullable=False, server_default='24'))



def downgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('competence_months')

    op.drop_index('ix_movements_to_holder_occurred', 'movements')
    op.drop_index('ix_movements_from_holder_occurred', 'movements')

    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_referred_by_organisation_id'))

    op.drop_table('staff_competences')
    with op.batch_alter_table('training_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_records_staff_user_id'))
        batch_op.drop_index('ix_training_records_follow_up_due')
        batch_op.drop_index(batch_op.f('ix_training_records_course_id'))
        batch_op.drop_index('ix_training_records_citizen_held')
        batch_op.drop_index('ix_training_records_citizen_follow_up')

    op.drop_table('training_records')
    drop_truncate_guard(op, 'course_events')
    drop_append_only_guard(op, 'course_events')
    with op.batch_alter_table('course_events', schema=None) as batch_op:
        batch_op.drop_index('ix_course_events_citizen_at')

    op.drop_table('course_events')
