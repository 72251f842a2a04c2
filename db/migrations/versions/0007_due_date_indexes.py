"""due date indexes: the daily reminders read only what falls due within their window

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 01:00:00.000000

Each morning the reminders ask which documents and open reviews fall due before the first
reminder's window closes. Without an index on the due dates that question reads the whole
register, so a quiet morning cost as much at 100,000 documents as the register's size; with
them it costs what is due.
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_next_review_due", "documents", ["next_review_due"])
    op.create_index("ix_reviews_due_date", "reviews", ["due_date"])


def downgrade() -> None:
    op.drop_index("ix_reviews_due_date", table_name="reviews")
    op.drop_index("ix_documents_next_review_due", table_name="documents")
