"""The modals: what a person fills in to submit, decide, or decline. Labels are the ones people
see and the ones tests look for."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    StaticSelectElement,
    UrlInputElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.platforms.slack.blocks.kit import VIEW_BLOCK_LIMIT, clip, doc_link, escape, render, section
from workflow.reviews import no_changes_statement
from workflow.summaries import ReviewSummary

SUBMIT_DRAFT = "modal.submit_draft"
NO_CHANGES = "modal.no_changes"
CONDITIONS = "modal.conditions"
REFER = "modal.refer"
COMMENT = "modal.comment"
DECLINE_TARGET = "modal.decline_target"

# block_id / action_id of each field, so that submissions can be read back by name.
LINK = "link"
SUMMARY = "summary"
STATEMENT = "statement"
TEXT = "text"
COMES_BACK = "comes_back"
REFER_TO = "refer_to"


def _modal(
    callback_id: str, title: str, submit: str, metadata: str, blocks: list[Any]
) -> dict[str, Any]:
    view = View(
        type="modal",
        callback_id=callback_id,
        title=clip(title, 24),
        submit=clip(submit, 24),
        close="Cancel",
        private_metadata=clip(metadata, 3000),
        blocks=render(blocks, limit=VIEW_BLOCK_LIMIT),
    )
    return view.to_dict()


def _about(summary: ReviewSummary) -> Any:
    return section(
        doc_link(summary.reference, summary.title, summary.link)
        + (f" \u00b7 v{summary.version}" if summary.version else "")
    )


def _text_input(
    block_id: str,
    label: str,
    *,
    multiline: bool = True,
    initial: str | None = None,
    placeholder: str | None = None,
    optional: bool = False,
) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=PlainTextInputElement(
            action_id=block_id,
            multiline=multiline,
            initial_value=initial,
            placeholder=placeholder,
            max_length=3000,
        ),
    )


def submit_draft(
    summary: ReviewSummary, metadata: str, option: str | None = None
) -> dict[str, Any]:
    second = summary.stage is not None
    return _modal(
        SUBMIT_DRAFT,
        "Submit second draft" if second else "Submit draft",
        "Submit",
        metadata,
        [
            _about(summary),
            InputBlock(
                block_id=LINK,
                label="Link to draft",
                optional=True,
                element=UrlInputElement(
                    action_id=LINK, placeholder="https://\u2026 the amended draft"
                ),
            ),
            _text_input(SUMMARY, "Summary of changes", placeholder="What changed, and why"),
        ],
    )


def no_changes(summary: ReviewSummary, metadata: str, option: str | None = None) -> dict[str, Any]:
    return _modal(
        NO_CHANGES,
        "No changes needed",
        "Submit",
        metadata,
        [
            _about(summary),
            _text_input(STATEMENT, "Statement", initial=no_changes_statement(summary.title)),
        ],
    )


def approve_with_conditions(
    summary: ReviewSummary, metadata: str, option: str | None = None
) -> dict[str, Any]:
    blocks: list[Any] = [
        _about(summary),
        _text_input(
            TEXT,
            "Conditions",
            placeholder="The amendments that must be made before it can be approved",
        ),
    ]
    stage = summary.stage
    if stage is not None and stage.may_ask_back:
        label = clip(f"Return to {stage.body.short} for approval", 75)
        blocks.append(
            InputBlock(
                block_id=COMES_BACK,
                label=label,
                optional=True,
                element=CheckboxesElement(
                    action_id=COMES_BACK, options=[Option(value="yes", label=label)]
                ),
            )
        )
    return _modal(CONDITIONS, "Approve with conditions", "Approve", metadata, blocks)


def refer(summary: ReviewSummary, metadata: str, option: str | None = None) -> dict[str, Any]:
    """Refer (or defer, as some say) to a higher body: to the one the button named, or to a
    choice of those the stage allows."""
    stage = summary.stage
    targets = list(stage.refer_to) if stage else []
    chosen = next((t for t in targets if t.key == option), None)
    word = stage.refer_word if stage else "Refer"
    blocks: list[Any] = [_about(summary)]
    if chosen is None and len(targets) > 1:
        blocks.append(_select(REFER_TO, "Refer to", {t.key: clip(t.name, 75) for t in targets}))
    to = chosen or (targets[0] if len(targets) == 1 else None)
    title = f"{word} to {to.short}" if to else word
    blocks.append(
        _text_input(
            TEXT,
            "Reason",
            placeholder=f"Why {to.the if to else 'they'} should decide this one",
        )
    )
    return _modal(REFER, title, word, metadata, blocks)


def comment(summary: ReviewSummary, metadata: str, option: str | None = None) -> dict[str, Any]:
    return _modal(
        COMMENT,
        "Comment on the draft",
        "Send",
        metadata,
        [
            _about(summary),
            section(_draft_line(summary)),
            _text_input(TEXT, "Comment", placeholder="Your comments on the draft"),
        ],
    )


def _draft_line(summary: ReviewSummary) -> str:
    latest = summary.latest
    if latest is None:
        return "No draft yet."
    link = f"<{latest.link}|Open the draft>. " if latest.link else ""
    return f"{link}*Summary of changes:* {escape(clip(latest.summary, 2500))}"


def decline_target(
    summary: ReviewSummary, metadata: str, option: str | None = None
) -> dict[str, Any]:
    return _modal(
        DECLINE_TARGET,
        "Decline target date",
        "Decline",
        metadata,
        [
            _about(summary),
            _text_input(TEXT, "Reason", placeholder="Why the review cannot wait that long"),
        ],
    )


# --- the other routes and the policy officer's tools ---------------------------------------

ROUND = "modal.round"
REQUEST = "modal.request"
NEW_DOCUMENT = "modal.new_document"
REASSIGN = "modal.reassign"
AGREE_DUE = "modal.agree_due"

NAME = "name"
DEADLINE = "deadline"
PLAN = "plan"
REASON = "reason"
DETAILS = "details"
REFERENCE = "reference"
TITLE = "title"
TYPE = "type"
AREA = "service_area"
OWNER = "owner"
APPROVER = "approver"
DUE = "due"
FROM = "from"
TO = "to"
ROLE = "role"


def _select(
    block_id: str,
    label: str,
    options: dict[str, str],
    *,
    initial: str | None = None,
    optional: bool = False,
) -> InputBlock:
    choices = [Option(value=value, label=text) for value, text in options.items()]
    chosen = next((o for o in choices if o.value == initial), None)
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=StaticSelectElement(action_id=block_id, options=choices, initial_option=chosen),
    )


def _date(block_id: str, label: str, initial: date | None = None) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        element=DatePickerElement(
            action_id=block_id, initial_date=initial.isoformat() if initial else None
        ),
    )


def _person(block_id: str, label: str, *, optional: bool = False) -> InputBlock:
    return InputBlock(
        block_id=block_id,
        label=label,
        optional=optional,
        element=UserSelectElement(action_id=block_id),
    )


def update_round(today: date) -> dict[str, Any]:
    return _modal(
        ROUND,
        "Open an update round",
        "Open round",
        "{}",
        [
            section(
                "Paste the provider's update plan: one line per document, "
                "`reference, amendment, approver e-mails` (the e-mails are optional; put ; "
                "between several when a document needs more than one approver)."
            ),
            _text_input(NAME, "Name", multiline=False, placeholder="Spring 2027"),
            _date(DEADLINE, "Deadline", today),
            _text_input(
                PLAN,
                "Plan",
                placeholder="LAC-014, Update paragraph 4 for Working Together "
                "2023, rsm.one@example.org; rsm.two@example.org",
            ),
        ],
    )


def request_review(summary_reference: str, title: str, reasons: dict[str, str]) -> dict[str, Any]:
    return _modal(
        REQUEST,
        "Ask for a review",
        "Ask",
        json.dumps({"ref": summary_reference}),
        [
            section(
                f"*{escape(summary_reference)} {escape(title)}* will be reviewed out of cycle; "
                "its owner and the policy officer will be told why."
            ),
            _select(REASON, "Reason", reasons),
            _text_input(
                DETAILS, "Details", placeholder="What prompted it: the audit, the change, the gap"
            ),
        ],
    )


def new_document(types: dict[str, str], today: date) -> dict[str, Any]:
    return _modal(
        NEW_DOCUMENT,
        "New document",
        "Add",
        "{}",
        [
            _text_input(REFERENCE, "Reference", multiline=False, placeholder="LAC-050"),
            _text_input(TITLE, "Title", multiline=False),
            _select(TYPE, "Type", types, initial="procedure"),
            _text_input(AREA, "Service area", multiline=False, optional=True),
            _person(OWNER, "Owner", optional=True),
            _person(APPROVER, "Approver"),
            _date(DUE, "Due date", today),
        ],
    )


def reassign(roles: dict[str, str]) -> dict[str, Any]:
    return _modal(
        REASSIGN,
        "Reassign documents",
        "Reassign",
        "{}",
        [
            section(
                "Every document the first person owns or approves, and their part in open "
                "reviews, moves to the second. Both are told, and so are the admins."
            ),
            _person(FROM, "From"),
            _person(TO, "To"),
            _select(ROLE, "Role", roles, initial="both"),
        ],
    )


def agree_due(summary: ReviewSummary, metadata: str, option: str | None = None) -> dict[str, Any]:
    return _modal(
        AGREE_DUE,
        "Agree the due date",
        "Agree",
        metadata,
        [
            _about(summary),
            _date(DUE, "Due date", summary.due_date),
        ],
    )
