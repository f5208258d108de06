"""The directory read by index: names' bigrams for partial matches, pages in name order

Revision 0003 (after 0002): member_search_grams, the bigrams of each member's search text; the members'
public sort key; the directory's indexes in name order. Filled from the members already there.
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

# Copies of domain.search_grams and domain.sort_key as they stand at this revision: a migration's
# history must not move when the runtime rule later does (a later rule brings a revision that rebuilds).
SORT_KEY_CHARS = 200


def _grams(text):
    return {word[i:i + 2] for word in (text or '').split() for i in range(len(word) - 1)}


def upgrade() -> None:
    grams = op.create_table('member_search_grams',
    sa.Column('member_id', sa.String(length=36), nullable=False),
    sa.Column('gram', sa.String(length=2), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('member_id', 'gram')
    )
    op.create_index('ix_member_search_grams_gram', 'member_search_grams', ['gram', 'public', 'member_id'],
                    unique=False)
    # Added in place, never by copying the table: on SQLite a copy drops the old members table, and
    # its rows' memberships, networks and languages would go with it (ON DELETE CASCADE).
    op.add_column('members', sa.Column('public_sort_key', sa.String(length=SORT_KEY_CHARS), nullable=False,
                                       server_default=''))
    members = sa.table('members', sa.column('id'), sa.column('search_text'), sa.column('public_search_text'),
                       sa.column('public_sort_key'), sa.column('erased_at'))
    bind = op.get_bind()
    rows = bind.execute(sa.select(members.c.id, members.c.search_text, members.c.public_search_text)
                        .where(members.c.erased_at.is_(None))).all()
    filled = []
    for member_id, text, public_text in rows:
        shown = _grams(public_text)
        filled += [{'member_id': member_id, 'gram': gram, 'public': gram in shown} for gram in _grams(text) | shown]
    # substr counts characters on both databases, as Python's slice does
    bind.execute(members.update().values(public_sort_key=sa.func.substr(members.c.public_search_text, 1,
                                                                        SORT_KEY_CHARS)))
    if filled:
        op.bulk_insert(grams, filled)
    op.drop_index('ix_members_public_directory', table_name='members')
    op.drop_index('ix_members_members_directory', table_name='members')
    op.create_index('ix_members_public_directory', 'members',
                    ['directory_listed', 'public_region', 'public_sort_key', 'id'], unique=False)
    op.create_index('ix_members_members_directory', 'members',
                    ['members_listed', 'public_region', 'public_sort_key', 'id'], unique=False)
    op.create_index('ix_members_public_names', 'members', ['directory_listed', 'public_sort_key', 'id'], unique=False)
    op.create_index('ix_members_members_names', 'members', ['members_listed', 'public_sort_key', 'id'], unique=False)
    if bind.dialect.name == 'sqlite':
        op.execute('ANALYZE')  # the planner's row counts, which the directory's queries rely on


def downgrade() -> None:
    for index in ('ix_members_members_names', 'ix_members_public_names', 'ix_members_members_directory',
                  'ix_members_public_directory'):
        op.drop_index(index, table_name='members')
    op.create_index('ix_members_members_directory', 'members', ['members_listed', 'public_region'], unique=False)
    op.create_index('ix_members_public_directory', 'members', ['directory_listed', 'public_region'], unique=False)
    op.drop_column('members', 'public_sort_key')  # SQLite 3.35 and later drop a column in place
    op.drop_index('ix_member_search_grams_gram', table_name='member_search_grams')
    op.drop_table('member_search_grams')
