"""The request that caused an event or a mail, kept with it

Revision 0002 (after 0001): the correlation id (shared/correlation.py) of the request that caused it.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('correlation_id', sa.String(length=128), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_column('correlation_id')

