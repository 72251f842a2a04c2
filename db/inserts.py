"""Insert a row unless one with the same key exists, atomically, on both databases.

This is what makes once-only cheap: two processes racing to write the same outbox key, job
period or Slack delivery id both succeed, and exactly one row results."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


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
