"""governance: a review awaits a body at a level of its route; meetings, agendas, consultations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 22:00:00.000000

Until now the chain was fixed: the approver ("rsm"), who could defer to the SLT. Here a review
awaits a named body at a level of its route, and a decision records the level and the body that
took it. Nothing is lost: a review awaiting the SLT awaits the body the default governance calls
`slt`, a deferral to the SLT is a referral to it, and the messages waiting to go keep going.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=64), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("agenda_closes_on", sa.Date(), nullable=False),
        sa.Column("papers_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("papers_sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["people.id"], name=op.f("fk_meetings_closed_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("body", "held_on", name=op.f("uq_meetings_body")),
    )

    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", sa.Integer(), server_default="1", nullable=False))
        batch_op.add_column(sa.Column("body", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("back_to", sa.String(length=64), nullable=True))
    op.execute(
        "UPDATE reviews SET body = 'approver' WHERE state = 'awaiting_approval' "
        "AND closed_at IS NULL"
    )
    op.execute(
        "UPDATE reviews SET body = 'slt', state = 'awaiting_approval' WHERE state = 'awaiting_slt'"
    )
    op.execute("UPDATE reviews SET back_to = 'slt' WHERE back_to_slt")
    # Many tables refer to reviews: dropping a column must not copy the table (as a batch does
    # on SQLite, where that breaks their foreign keys); SQLite drops columns itself since 3.35.
    with op.batch_alter_table("reviews", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("back_to_slt")

    # Decisions: the level becomes a number, the body a name of its own.
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        # The approver's and the SLT's decisions on one draft are both level 1 from here on,
        # told apart by their body: the old constraint goes before the levels are renumbered.
        batch_op.drop_constraint(batch_op.f("uq_decisions_submission_id"), type_="unique")
        batch_op.add_column(
            sa.Column("body", sa.String(length=64), server_default="approver", nullable=False)
        )
        batch_op.add_column(sa.Column("referred_to", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("comes_back", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute("UPDATE decisions SET body = 'slt' WHERE level = 'slt'")
    op.execute(
        "UPDATE decisions SET outcome = 'referred', referred_to = 'slt' "
        "WHERE outcome = 'deferred_to_slt'"
    )
    op.execute("UPDATE decisions SET comes_back = back_to_slt")
    op.execute("UPDATE decisions SET level = '1'")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_column("back_to_slt")
        batch_op.alter_column(
            "level",
            existing_type=sa.String(length=8),
            type_=sa.Integer(),
            existing_nullable=False,
            postgresql_using="level::integer",
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_decisions_submission_id"), ["submission_id", "level", "body", "slot"]
        )

    with op.batch_alter_table("documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("committee", sa.String(length=64), nullable=True))

    with op.batch_alter_table("posted_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meeting_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_posted_messages_meeting_id"), ["meeting_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_posted_messages_meeting_id_meetings"), "meetings", ["meeting_id"], ["id"]
        )

    op.create_table(
        "agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.Column("decision_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["decision_id"], ["decisions.id"], name=op.f("fk_agenda_items_decision_id_decisions")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_agenda_items_meeting_id_meetings")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_agenda_items_recorded_by_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_agenda_items_review_id_reviews")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_items")),
        sa.UniqueConstraint(
            "meeting_id", "review_id", "kind", name=op.f("uq_agenda_items_meeting_id")
        ),
    )
    with op.batch_alter_table("agenda_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agenda_items_meeting_id"), ["meeting_id"])
        batch_op.create_index(batch_op.f("ix_agenda_items_review_id"), ["review_id"])

    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=64), nullable=False),
        sa.Column("opens_on", sa.Date(), nullable=False),
        sa.Column("closes_on", sa.Date(), nullable=False),
        sa.Column("silence_is_agreement", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["review_id"], ["reviews.id"], name=op.f("fk_consultations_review_id_reviews")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_consultations_submission_id_submissions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultations")),
    )
    with op.batch_alter_table("consultations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consultations_review_id"), ["review_id"])

    for table in ("consultees", "consultation_responses"):
        extra = (
            [
                sa.Column("kind", sa.String(length=16), nullable=False),
                sa.Column("text", sa.Text(), nullable=True),
                sa.Column("agreed", sa.Boolean(), nullable=False),
                sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            ]
            if table == "consultation_responses"
            else []
        )
        op.create_table(
            table,
            sa.Column("id", sa.Integer(), nullable=False),
            sa.Column("consultation_id", sa.Integer(), nullable=False),
            sa.Column("person_id", sa.Integer(), nullable=False),
            *extra,
            sa.ForeignKeyConstraint(
                ["consultation_id"],
                ["consultations.id"],
                name=op.f(f"fk_{table}_consultation_id_consultations"),
            ),
            sa.ForeignKeyConstraint(
                ["person_id"], ["people.id"], name=op.f(f"fk_{table}_person_id_people")
            ),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint(
                "consultation_id", "person_id", name=op.f(f"uq_{table}_consultation_id")
            ),
        )
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_consultation_id"), ["consultation_id"])

    _readdress_outbox()


def _readdress_outbox() -> None:
    """Messages about the SLT go to the body called `slt`: the audience names the body, and an
    SLT decision request is an approval request whose payload says which body it is for."""
    bind = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("audience", sa.String),
        sa.column("payload", sa.JSON),
    )
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.kind, outbox.c.audience, outbox.c.payload).where(
            sa.or_(outbox.c.audience == "slt", outbox.c.kind.in_(("slt_request", "nudge")))
        )
    ).all()
    for row_id, kind, audience, payload in rows:
        payload = dict(payload if isinstance(payload, dict) else json.loads(payload or "{}"))
        was_slt = bool(payload.pop("slt", False))
        slt = was_slt or kind == "slt_request" or audience == "slt"
        if kind in ("slt_request", "approval_request", "nudge"):
            payload.setdefault("body", "slt" if slt else "approver")
            payload.setdefault("level", 1)
        bind.execute(
            outbox.update()
            .where(outbox.c.id == row_id)
            .values(
                kind="approval_request" if kind == "slt_request" else kind,
                audience="body:slt" if audience == "slt" else audience,
                payload=payload,
            )
        )
    op.execute("UPDATE posted_messages SET kind = 'approval_request' WHERE kind = 'slt_request'")


def downgrade() -> None:
    raise NotImplementedError(
        "0004 generalises the approval chain; going back to the fixed chain would drop the "
        "meetings, consultations and any body but the approver and the SLT. Restore a backup "
        "taken before the upgrade instead."
    )
