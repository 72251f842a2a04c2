"""teams: people's Teams ids, the conversations signoff may post in, and messages on either platform

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 23:00:00.000000

A person reached in Microsoft Teams has an Azure AD object id, a Teams user id, the 1:1
conversation the app was installed into, and the service URL Teams gave with it. A posted
message names its platform; a Teams one keeps its conversation (room), activity id and service
URL, so that it can be updated in place. Every message posted so far was posted in Slack.
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild: on SQLite, rebuilding `people` would drop a table
    # the others refer to); the AAD object id is unique by an index.
    for name, length in (
        ("teams_aad_object_id", 64),
        ("teams_user_id", 255),
        ("teams_conversation_id", 512),
        ("teams_service_url", 512),
        ("teams_tenant_id", 64),
    ):
        op.add_column("people", sa.Column(name, sa.String(length=length), nullable=True))
    op.create_index("ix_people_teams_aad_object_id", "people", ["teams_aad_object_id"], unique=True)
    with op.batch_alter_table("posted_messages", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("platform", sa.String(length=16), nullable=False, server_default="slack")
        )
        batch_op.add_column(sa.Column("room", sa.String(length=512), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("service_url", sa.String(length=512), nullable=True))
        batch_op.alter_column("channel", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("ts", existing_type=sa.String(length=32), nullable=True)
    op.create_table(
        "teams_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=512), nullable=False),
        sa.Column("service_url", sa.String(length=512), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("team_id", sa.String(length=512), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("installed", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_teams_conversations_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teams_conversations")),
        sa.UniqueConstraint("conversation_id", name=op.f("uq_teams_conversations_conversation_id")),
    )


def downgrade() -> None:
    op.drop_table("teams_conversations")
    op.execute("DELETE FROM posted_messages WHERE platform != 'slack'")
    with op.batch_alter_table("posted_messages", schema=None) as batch_op:
        batch_op.alter_column("ts", existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column("channel", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("service_url")
        batch_op.drop_column("message_id")
        batch_op.drop_column("room")
        batch_op.drop_column("platform")
    op.drop_index("ix_people_teams_aad_object_id", table_name="people")
    for name in (
        "teams_tenant_id",
        "teams_service_url",
        "teams_conversation_id",
        "teams_user_id",
        "teams_aad_object_id",
    ):
        op.drop_column("people", name)
