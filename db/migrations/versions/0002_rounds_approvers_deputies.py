"""update rounds, several approvers, deputies

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:30:55.861670
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "update_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_update_rounds")),
        sa.UniqueConstraint("name", name=op.f("uq_update_rounds_name")),
    )
    op.create_table(
        "deputies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("deputy_id", sa.Integer(), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["deputy_id"], ["people.id"], name=op.f("fk_deputies_deputy_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_deputies_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deputies")),
    )
    with op.batch_alter_table("deputies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deputies_person_id"), ["person_id"], unique=False)

    op.create_table(
        "review_approvers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_review_approvers_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_review_approvers_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_approvers")),
        sa.UniqueConstraint("review_id", "person_id", name=op.f("uq_review_approvers_review_id")),
    )
    with op.batch_alter_table("review_approvers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_review_approvers_review_id"), ["review_id"], unique=False
        )

    op.create_table(
        "round_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("amendment", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["documents.id"], name=op.f("fk_round_items_document_id_documents")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_round_items_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"], ["update_rounds.id"], name=op.f("fk_round_items_round_id_update_rounds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_items")),
        sa.UniqueConstraint("round_id", "document_id", name=op.f("uq_round_items_round_id")),
    )
    with op.batch_alter_table("round_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_round_items_round_id"), ["round_id"], unique=False)

    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slot", sa.Integer(), server_default="0", nullable=False))
        batch_op.drop_constraint(batch_op.f("uq_decisions_submission_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_decisions_submission_id"), ["submission_id", "level", "slot"]
        )


def downgrade() -> None:
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_decisions_submission_id"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_decisions_submission_id"), ["submission_id", "level"]
        )
        batch_op.drop_column("slot")

    with op.batch_alter_table("round_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_round_items_round_id"))

    op.drop_table("round_items")
    with op.batch_alter_table("review_approvers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_approvers_review_id"))

    op.drop_table("review_approvers")
    with op.batch_alter_table("deputies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deputies_person_id"))

    op.drop_table("deputies")
    op.drop_table("update_rounds")
