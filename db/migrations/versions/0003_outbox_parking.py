"""outbox parking: a message Slack will never take is set aside, with why, until retried

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("parked_cause", sa.String(length=255), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_parked_cause"), ["parked_cause"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_parked_cause"))
        batch_op.drop_column("parked_cause")
        batch_op.drop_column("parked_at")
