"""The tables of release 0.1

Revision 0001, the first: what release 0.1 made with create_all. A database it made is adopted (stamped at
this revision) rather than made again.
"""
import sqlalchemy as sa
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_trail',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('account_id', sa.String(length=64), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('resource', sa.String(length=200), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('client', sa.String(length=64), nullable=True),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_trail', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_trail_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_trail_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_trail_at'), ['at'], unique=False)

    op.create_table('commands',
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('operation', sa.String(length=64), nullable=False),
    sa.Column('request_digest', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key_hash', 'operation')
    )
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commands_created_at'), ['created_at'], unique=False)

    op.create_table('erased_addresses',
    sa.Column('email_sha256', sa.String(length=64), nullable=False),
    sa.Column('erased_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('email_sha256')
    )
    op.create_table('housekeeping_runs',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('ran_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('housekeeping_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_housekeeping_runs_ran_at'), ['ran_at'], unique=False)

    op.create_table('inbox',
    sa.Column('consumer', sa.String(length=120), nullable=False),
    sa.Column('event_id', sa.String(length=36), nullable=False),
    sa.Column('event_type', sa.String(length=64), nullable=False),
    sa.Column('processed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('consumer', 'event_id')
    )
    op.create_table('mailing_lists',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.JSON(), nullable=False),
    sa.Column('description', sa.JSON(), nullable=False),
    sa.Column('policy', sa.String(length=16), nullable=False),
    sa.Column('region', sa.String(length=32), nullable=True),
    sa.Column('network', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slug')
    )
    with op.batch_alter_table('mailing_lists', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mailing_lists_network'), ['network'], unique=False)
        batch_op.create_index(batch_op.f('ix_mailing_lists_region'), ['region'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('template', sa.String(length=64), nullable=False),
    sa.Column('list_slug', sa.String(length=64), nullable=True),
    sa.Column('context', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key')
    )
    op.create_table('reminders',
    sa.Column('registration_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('event', sa.JSON(), nullable=False),
    sa.Column('remind_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('registration_id')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminders_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminders_remind_at'), ['remind_at'], unique=False)

    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=36), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('subscription_id', sa.Integer(), nullable=True),
    sa.Column('list_slug', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['message_id'], ['messages.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('message_id', 'email')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_email', ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_deliveries_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_deliveries_queue', ['status', 'id'], unique=False)

    op.create_table('subscriptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('confirm_token_hash', sa.String(length=64), nullable=True),
    sa.Column('confirm_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bounces', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consent_basis', sa.String(length=32), nullable=True),
    sa.Column('consent_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['list_id'], ['mailing_lists.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('list_id', 'email')
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_subscriptions_confirm_token_hash'), ['confirm_token_hash'], unique=False)
        batch_op.create_index('ix_subscriptions_email', ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_list_id'), ['list_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_subscriptions_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_subscriptions_status'))
        batch_op.drop_index(batch_op.f('ix_subscriptions_list_id'))
        batch_op.drop_index('ix_subscriptions_email')
        batch_op.drop_index(batch_op.f('ix_subscriptions_confirm_token_hash'))

    op.drop_table('subscriptions')
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_queue')
        batch_op.drop_index(batch_op.f('ix_deliveries_message_id'))
        batch_op.drop_index('ix_deliveries_email')

    op.drop_table('deliveries')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminders_remind_at'))
        batch_op.drop_index(batch_op.f('ix_reminders_email'))

    op.drop_table('reminders')
    op.drop_table('messages')
    with op.batch_alter_table('mailing_lists', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mailing_lists_region'))
        batch_op.drop_index(batch_op.f('ix_mailing_lists_network'))

    op.drop_table('mailing_lists')
    op.drop_table('inbox')
    with op.batch_alter_table('housekeeping_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_housekeeping_runs_ran_at'))

    op.drop_table('housekeeping_runs')
    op.drop_table('erased_addresses')
    with op.batch_alter_table('commands', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commands_created_at'))

    op.drop_table('commands')
    with op.batch_alter_table('audit_trail', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_trail_at'))
        batch_op.drop_index(batch_op.f('ix_audit_trail_action'))
        batch_op.drop_index(batch_op.f('ix_audit_trail_account_id'))

    op.drop_table('audit_trail')
    op.drop_table('audit_head')
