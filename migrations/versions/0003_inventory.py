"""inventory

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 04:57:55.574955
"""

import sqlalchemy as sa
from alembic import op

from servicecenter.ledger_guard import create_append_only_guard, drop_append_only_guard

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('device_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('tablet', 'pulse_oximeter', 'blood_pressure', 'scale', 'spirometer', 'thermometer', 'other', name='devicecategory', native_enum=False, length=20), nullable=False),
    sa.Column('manufacturer', sa.String(length=80), nullable=False),
    sa.Column('model_number', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('cleaning_procedure', sa.Text(), nullable=True),
    sa.Column('service_interval_days', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_models')),
    sa.UniqueConstraint('model_number', name=op.f('uq_device_models_model_number'))
    )
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('code', name=op.f('uq_programmes_code'))
    )
    op.create_table('tag_counters',
    sa.Column('prefix', sa.String(length=2), nullable=False),
    sa.Column('next_value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('prefix', name=op.f('pk_tag_counters'))
    )
    op.create_table('kit_templates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_kit_templates_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_templates')),
    sa.UniqueConstraint('programme_id', name=op.f('uq_kit_templates_programme_id'))
    )
    op.create_table('kit_template_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.Enum('tablet', 'pulse_oximeter', 'blood_pressure', 'scale', 'spirometer', 'thermometer', 'other', name='devicecategory', native_enum=False, length=20), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['kit_templates.id'], name=op.f('fk_kit_template_items_template_id_kit_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_template_items'))
    )
    with op.batch_alter_table('kit_template_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kit_template_items_template_id'), ['template_id'], unique=False)

    op.create_table('kits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=12), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['template_id'], ['kit_templates.id'], name=op.f('fk_kits_template_id_kit_templates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kits')),
    sa.UniqueConstraint('tag', name=op.f('uq_kits_tag'))
    )
    op.create_table('courses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('referred', 'allocated', 'setup_scheduled', 'active', 'paused', 'ended', name='coursestatus', native_enum=False, length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_courses_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_courses_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_courses'))
    )
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_courses_citizen_id'), ['citizen_id'], unique=False)

    op.create_table('holders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('depot', 'bin', 'van', 'course', 'cleaning', 'repair', 'lost', 'scrapped', name='holderkind', native_enum=False, length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('tag', sa.String(length=12), nullable=True),
    sa.Column('depot_id', sa.Integer(), nullable=True),
    sa.Column('course_id', sa.Integer(), nullable=True),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_holders_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['course_id'], ['courses.id'], name=op.f('fk_holders_course_id_courses')),
    sa.ForeignKeyConstraint(['depot_id'], ['holders.id'], name=op.f('fk_holders_depot_id_holders')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_holders_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_holders')),
    sa.UniqueConstraint('course_id', name=op.f('uq_holders_course_id')),
    sa.UniqueConstraint('tag', name=op.f('uq_holders_tag'))
    )
    op.create_table('import_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('owner_organisation_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('row_count', sa.Integer(), nullable=False),
    sa.Column('errors', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_import_batches_created_by_id_users')),
    sa.ForeignKeyConstraint(['depot_id'], ['holders.id'], name=op.f('fk_import_batches_depot_id_holders')),
    sa.ForeignKeyConstraint(['owner_organisation_id'], ['organisations.id'], name=op.f('fk_import_batches_owner_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    op.create_table('stock_minimums',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('depot_id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('minimum', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['depot_id'], ['holders.id'], name=op.f('fk_stock_minimums_depot_id_holders')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_stock_minimums_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_minimums')),
    sa.UniqueConstraint('depot_id', 'programme_id', name='uq_stock_minimums_depot_programme')
    )
    op.create_table('devices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=12), nullable=False),
    sa.Column('serial', sa.String(length=60), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=False),
    sa.Column('owner_organisation_id', sa.Integer(), nullable=False),
    sa.Column('firmware_version', sa.String(length=40), nullable=True),
    sa.Column('purchased_on', sa.Date(), nullable=True),
    sa.Column('warranty_until', sa.Date(), nullable=True),
    sa.Column('calibration_due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.Enum('received', 'ready', 'reserved', 'in_van', 'at_citizen', 'returned', 'cleaning', 'testing', 'faulty', 'repair', 'lost', 'scrapped', name='devicestatus', native_enum=False, length=20), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('kit_id', sa.Integer(), nullable=True),
    sa.Column('import_batch_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_moved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['holder_id'], ['holders.id'], name=op.f('fk_devices_holder_id_holders')),
    sa.ForeignKeyConstraint(['import_batch_id'], ['import_batches.id'], name=op.f('fk_devices_import_batch_id_import_batches')),
    sa.ForeignKeyConstraint(['kit_id'], ['kits.id'], name=op.f('fk_devices_kit_id_kits')),
    sa.ForeignKeyConstraint(['model_id'], ['device_models.id'], name=op.f('fk_devices_model_id_device_models')),
    sa.ForeignKeyConstraint(['owner_organisation_id'], ['organisations.id'], name=op.f('fk_devices_owner_organisation_id_organisations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_devices')),
    sa.UniqueConstraint('model_id', 'serial', name='uq_devices_model_serial'),
    sa.UniqueConstraint('tag', name=op.f('uq_devices_tag'))
    )
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.create_index('ix_devices_holder_status', ['holder_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_import_batch_id'), ['import_batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_devices_kit_id'), ['kit_id'], unique=False)
        batch_op.create_index('ix_devices_model_firmware', ['model_id', 'firmware_version'], unique=False)

    op.create_table('kit_memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kit_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_kit_memberships_device_id_devices')),
    sa.ForeignKeyConstraint(['kit_id'], ['kits.id'], name=op.f('fk_kit_memberships_kit_id_kits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_kit_memberships'))
    )
    with op.batch_alter_table('kit_memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_kit_memberships_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_kit_memberships_kit_id'), ['kit_id'], unique=False)

    op.create_table('movements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('receive', 'accept', 'reserve', 'load', 'unload', 'handover', 'collect', 'clean_start', 'clean_finish', 'test_pass', 'fault', 'repair_out', 'repair_back', 'lose', 'find', 'scrap', name='movementkind', native_enum=False, length=20), nullable=False),
    sa.Column('from_holder_id', sa.Integer(), nullable=True),
    sa.Column('to_holder_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.Enum('received', 'ready', 'reserved', 'in_van', 'at_citizen', 'returned', 'cleaning', 'testing', 'faulty', 'repair', 'lost', 'scrapped', name='devicestatus', native_enum=False, length=20), nullable=True),
    sa.Column('to_status', sa.Enum('received', 'ready', 'reserved', 'in_van', 'at_citizen', 'returned', 'cleaning', 'testing', 'faulty', 'repair', 'lost', 'scrapped', name='devicestatus', native_enum=False, length=20), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kit_id', sa.Integer(), nullable=True),
    sa.Column('visit_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_movements_actor_id_users')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_movements_device_id_devices')),
    sa.ForeignKeyConstraint(['from_holder_id'], ['holders.id'], name=op.f('fk_movements_from_holder_id_holders')),
    sa.ForeignKeyConstraint(['kit_id'], ['kits.id'], name=op.f('fk_movements_kit_id_kits')),
    sa.ForeignKeyConstraint(['to_holder_id'], ['holders.id'], name=op.f('fk_movements_to_holder_id_holders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_movements'))
    )
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.create_index('ix_movements_device_occurred', ['device_id', 'occurred_at', 'id'], unique=False)

    op.create_table('signoffs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('cleaning', 'function_test', name='signoffkind', native_enum=False, length=20), nullable=False),
    sa.Column('method', sa.String(length=120), nullable=False),
    sa.Column('factory_reset', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_signoffs_actor_id_users')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_signoffs_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signoffs'))
    )
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signoffs_device_id'), ['device_id'], unique=False)

    op.create_table('sim_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('iccid', sa.String(length=22), nullable=False),
    sa.Column('phone_number', sa.String(length=20), nullable=True),
    sa.Column('operator', sa.String(length=40), nullable=True),
    sa.Column('state', sa.Enum('active', 'suspended', 'terminated', name='simstate', native_enum=False, length=20), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sim_cards_device_id_devices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sim_cards')),
    sa.UniqueConstraint('device_id', name=op.f('uq_sim_cards_device_id')),
    sa.UniqueConstraint('iccid', name=op.f('uq_sim_cards_iccid'))
    )
    op.create_table('custody',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('citizen_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('movement_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['citizen_id'], ['citizens.id'], name=op.f('fk_custody_citizen_id_citizens')),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_custody_device_id_devices')),
    sa.ForeignKeyConstraint(['holder_id'], ['holders.id'], name=op.f('fk_custody_holder_id_holders')),
    sa.ForeignKeyConstraint(['movement_id'], ['movements.id'], name=op.f('fk_custody_movement_id_movements')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_custody'))
    )
    with op.batch_alter_table('custody', schema=None) as batch_op:
        batch_op.create_index('ix_custody_citizen_started', ['citizen_id', 'started_at'], unique=False)
        batch_op.create_index('ix_custody_device_started', ['device_id', 'started_at'], unique=False)
        batch_op.create_index('ix_custody_holder_open', ['holder_id', 'ended_at'], unique=False)

    op.create_table('sim_pairings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sim_id', sa.Integer(), nullable=False),
    sa.Column('device_id', sa.Integer(), nullable=False),
    sa.Column('paired_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unpaired_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['devices.id'], name=op.f('fk_sim_pairings_device_id_devices')),
    sa.ForeignKeyConstraint(['sim_id'], ['sim_cards.id'], name=op.f('fk_sim_pairings_sim_id_sim_cards')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sim_pairings'))
    )
    with op.batch_alter_table('sim_pairings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sim_pairings_device_id'), ['device_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sim_pairings_sim_id'), ['sim_id'], unique=False)


    create_append_only_guard(op, "movements")
    create_append_only_guard(op, "signoffs")


def downgrade() -> None:
    drop_append_only_guard(op, "movements")
    drop_append_only_guard(op, "signoffs")

    with op.batch_alter_table('sim_pairings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sim_pairings_sim_id'))
        batch_op.drop_index(batch_op.f('ix_sim_pairings_device_id'))

    op.drop_table('sim_pairings')
    with op.batch_alter_table('custody', schema=None) as batch_op:
        batch_op.drop_index('ix_custody_holder_open')
        batch_op.drop_index('ix_custody_device_started')
        batch_op.drop_index('ix_custody_citizen_started')

    op.drop_table('custody')
    op.drop_table('sim_cards')
    with op.batch_alter_table('signoffs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signoffs_device_id'))

    op.drop_table('signoffs')
    with op.batch_alter_table('movements', schema=None) as batch_op:
        batch_op.drop_index('ix_movements_device_occurred')

    op.drop_table('movements')
    with op.batch_alter_table('kit_memberships', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kit_memberships_kit_id'))
        batch_op.drop_index(batch_op.f('ix_kit_memberships_device_id'))

    op.drop_table('kit_memberships')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_index('ix_devices_model_firmware')
        batch_op.drop_index(batch_op.f('ix_devices_kit_id'))
        batch_op.drop_index(batch_op.f('ix_devices_import_batch_id'))
        batch_op.drop_index('ix_devices_holder_status')

    op.drop_table('devices')
    op.drop_table('stock_minimums')
    op.drop_table('import_batches')
    op.drop_table('holders')
    with op.batch_alter_table('courses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_courses_citizen_id'))

    op.drop_table('courses')
    op.drop_table('kits')
    with op.batch_alter_table('kit_template_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kit_template_items_template_id'))

    op.drop_table('kit_template_items')
    op.drop_table('kit_templates')
    op.drop_table('tag_counters')
    op.drop_table('programmes')
    op.drop_table('device_models')

