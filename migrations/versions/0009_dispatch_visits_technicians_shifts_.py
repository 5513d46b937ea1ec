"""dispatch: visits, technicians, shifts, absences, plan runs

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 07:34:49.256275
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.ledger_guard import (
    create_append_only_guard,
    create_truncate_guard,
    drop_append_only_guard,
    drop_truncate_guard,
)

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('link_uses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_link_uses'))
    )
    with op.batch_alter_table('link_uses', schema=None) as batch_op:
        batch_op.create_index('ix_link_uses_address_at', ['address', 'at'], unique=False)

    op.create_table('plan_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('running', 'done', 'failed', 'published', name='planstatus', native_enum=False, length=20), nullable=False),
    sa.Column('progress', sa.Double(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_runs_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_runs'))
    )
    with op.batch_alter_table('plan_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_runs_day'), ['day'], unique=False)

    op.create_table('technicians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('van_id', sa.Integer(), nullable=True),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['depot_id'], ['holders.id'], name=op.f('fk_technicians_depot_id_holders')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_technicians_user_id_users')),
    sa.ForeignKeyConstraint(['van_id'], ['holders.id'], name=op.f('fk_technicians_van_id_holders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technicians')),
    sa.UniqueConstraint('user_id', name=op.f('uq_technicians_user_id'))
    )
    op.create_table('absences',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('reason', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_absences_technician_id_technicians')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_absences'))
    )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_absences_technician_id'), ['technician_id'], unique=False)

    op.create_table('shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_shifts_technician_id_technicians')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shifts')),
    sa.UniqueConstraint('technician_id', 'weekday', name='uq_shifts_technician_weekday')
    )
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shifts_technician_id'), ['technician_id'], unique=False)

    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('setup', 'pickup', 'swap', 'service', 'training', 'follow_up', name='visitkind', native_enum=False, length=20), nullable=False),
    sa.Column('status', sa.Enum('requested', 'scheduled', 'in_progress', 'done', 'failed', 'requeued', 'cancelled', name='visitstatus', native_enum=False, length=20), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('earliest_on', sa.Date(), nullable=False),
    sa.Column('latest_on', sa.Date(), nullable=False),
    sa.Column('time_of_day', sa.Enum('any', 'morning', 'afternoon', name='timeofday', native_enum=False, length=20), nullable=False),
    sa.Column('urgency', sa.Enum('normal', 'urgent', name='urgency', native_enum=False, length=20), nullable=False),
    sa.Column('relative_present', sa.Boolean(), nullable=False),
    sa.Column('interpreter_needed', sa.Boolean(), nullable=False),
    sa.Column('hearing_needs', sa.Boolean(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('service_minutes', sa.Integer(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('kit_id', sa.Integer(), nullable=True),
    sa.Column('technician_id', sa.Integer(), nullable=True),
    sa.Column('scheduled_on', sa.Date(), nullable=True),
    sa.Column('window_start', sa.Integer(), nullable=True),
    sa.Column('window_end', sa.Integer(), nullable=True),
    sa.Column('planned_start', sa.Integer(), nullable=True),
    sa.Column('route_order', sa.Integer(), nullable=True),
    sa.Column('locked', sa.Boolean(), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmation_text', sa.Text(), nullable=True),
    sa.Column('offered_slots', sa.JSON(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failure_reason', sa.Enum('not_home', 'hospitalised', 'declined', 'wrong_address', 'no_access', 'no_coverage', 'device_missing', name='failurereason', native_enum=False, length=20), nullable=True),
    sa.Column('failure_note', sa.String(length=500), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_visits_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_visits_course_id_courses')),
    sa.ForeignKeyConstraint(['kit_id'], ['kits.id'], name=op.f('fk_visits_kit_id_kits')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_visits_requested_by_id_users')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_visits_technician_id_technicians')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_visits_citizen_id'), ['citizen_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_course_id'), ['course_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_scheduled_on'), ['scheduled_on'], unique=False)
        batch_op.create_index('ix_visits_status_earliest', ['status', 'earliest_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_technician_id'), ['technician_id'], unique=False)

    op.create_table('visit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_visit_events_actor_id_users')),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_visit_events_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['visit_id'], ['visits.id'], name=op.f('fk_visit_events_visit_id_visits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visit_events'))
    )
    with op.batch_alter_table('visit_events', schema=None) as batch_op:
        batch_op.create_index('ix_visit_events_citizen_at', ['citizen_id', 'at', 'id'], unique=False)


    for table in ('visit_events', 'link_uses'):
        create_append_only_guard(op, table)
        create_truncate_guard(op, table)


def downgrade() -> None:
    for table in ('visit_events', 'link_uses'):
        drop_truncate_guard(op, table)
        drop_append_only_guard(op, table)
    with op.batch_alter_table('visit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_visit_events_citizen_at')

    op.drop_table('visit_events')
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_visits_technician_id'))
        batch_op.drop_index('ix_visits_status_earliest')
        batch_op.drop_index(batch_op.f('ix_visits_scheduled_on'))
        batch_op.drop_index(batch_op.f('ix_visits_course_id'))
        batch_op.drop_index(batch_op.f('ix_visits_citizen_id'))

    op.drop_table('visits')
    with op.batch_alter_table('shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shifts_technician_id'))

    op.drop_table('shifts')
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_absences_technician_id'))

    op.drop_table('absences')
    op.drop_table('technicians')
    with op.batch_alter_table('plan_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_runs_day'))

    op.drop_table('plan_runs')
    with op.batch_alter_table('link_uses', schema=None) as batch_op:
        batch_op.drop_index('ix_link_uses_address_at')

    op.drop_table('link_uses')
