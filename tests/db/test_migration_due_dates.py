"""Migration 0007, on a database with documents and reviews in it: the due dates and the
reference in any case gain their indexes, nothing else changes, and it goes back down as it came."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import text

from db.engine import make_engine
from db.migrate import alembic_config, upgrade

AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC).replace(tzinfo=None)


def _indexes(engine, table: str) -> set[str]:  # type: ignore[no-untyped-def]
    # From SQLite's catalogue: SQLAlchemy's inspector leaves out an index on an expression.
    with engine.connect() as c:
        return set(
            c.scalars(
                text("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"),
                {"t": table},
            )
        )


def test_due_dates_are_indexed_and_rows_stay(tmp_path: Path):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0006")
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO people (id, email, slack_lookup, active, created_at) "
                "VALUES (1, 'approver@example.org', 'unknown', 1, :at)"
            ),
            {"at": AT},
        )
        c.execute(
            text(
                "INSERT INTO documents (id, reference, title, doc_type, approver_id, "
                "review_cycle_months, next_review_due, created_at, updated_at) VALUES "
                "(1, 'LAC-014', 'Reviews', 'policy', 1, 12, :due, :at, :at)"
            ),
            {"due": date(2026, 12, 1), "at": AT},
        )
    assert "ix_documents_next_review_due" not in _indexes(engine, "documents")

    upgrade(engine)
    assert "ix_documents_next_review_due" in _indexes(engine, "documents")
    assert "ix_reviews_due_date" in _indexes(engine, "reviews")
    with engine.begin() as c:
        assert c.execute(text("SELECT reference FROM documents")).scalar_one() == "LAC-014"
        # The lookup by reference in any case uses its index, not a scan of the register.
        plan = c.execute(
            text("EXPLAIN QUERY PLAN SELECT id FROM documents WHERE upper(reference) = 'LAC-014'")
        ).all()
        assert "ix_documents_reference_upper" in str(plan)

    command.downgrade(alembic_config(engine), "0006")
    assert "ix_documents_next_review_due" not in _indexes(engine, "documents")
    assert "ix_reviews_due_date" not in _indexes(engine, "reviews")
    assert "ix_documents_reference_upper" not in _indexes(engine, "documents")
    with engine.begin() as c:
        assert c.execute(text("SELECT reference FROM documents")).scalar_one() == "LAC-014"
