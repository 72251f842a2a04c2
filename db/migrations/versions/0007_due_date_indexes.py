"""due date and reference indexes: the daily reminders read only what falls due in their window

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 01:00:00.000000

Each morning the reminders ask which documents and open reviews fall due before the first
reminder's window closes. Without an index on the due dates that question reads the whole
register, so a quiet morning cost as much at 100,000 documents as the register's size; with
them it costs what is due. A document is found by its reference in any case, as people type
it (upper(reference)); that lookup read the whole register too, once per review opened.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_documents_next_review_due", "documents", ["next_review_due"])
    op.create_index("ix_reviews_due_date", "reviews", ["due_date"])
    op.create_index("ix_documents_reference_upper", "documents", [sa.text("upper(reference)")])


def downgrade() -> None:
    op.drop_index("ix_documents_reference_upper", table_name="documents")
    op.drop_index("ix_reviews_due_date", table_name="reviews")
    op.drop_index("ix_documents_next_review_due", table_name="documents")
