"""Insert a row unless one with the same key exists, atomically, on both databases.

This is what makes once-only cheap: two processes racing to write the same outbox key, job
period or Slack delivery id both succeed, and exactly one row results."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def _insert(session: Session, model: type):  # type: ignore[no-untyped-def]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    if dialect == "sqlite":
        return sqlite.insert(model)
    raise NotImplementedError(f"signoff does not support {dialect}")  # pragma: no cover


def insert_many_if_absent(
    session: Session,
    model: type,
    rows: list[dict[str, Any]],
    key: list[str],
    *,
    chunk: int = 200,
    returning: str = "id",
) -> list[Any]:
    """Insert each row unless one with its key exists, a chunk of rows per statement (so that
    thousands take a few statements, within the databases' limits on parameters). The
    `returning` column of the rows inserted."""
    inserted: list[Any] = []
    for start in range(0, len(rows), chunk):
        statement = _insert(session, model).values(rows[start : start + chunk])
        inserted += session.scalars(
            statement.on_conflict_do_nothing(index_elements=key).returning(  # type: ignore[attr-defined]
                getattr(model, returning)
            )
        ).all()
    return inserted


def insert_if_absent(session: Session, model: type, values: dict[str, Any], key: list[str]) -> bool:
    """True when this call inserted the row."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        statement = postgresql.insert(model)
    elif dialect == "sqlite":
        statement = sqlite.insert(model)
    else:  # pragma: no cover - signoff supports these two
        raise NotImplementedError(f"signoff does not support {dialect}")
    # RETURNING, not rowcount: psycopg reports no rowcount for an ORM-level insert.
    inserted = session.execute(
        statement.values(**values).on_conflict_do_nothing(index_elements=key).returning(model.id)  # type: ignore[attr-defined]
    ).first()
    return inserted is not None
