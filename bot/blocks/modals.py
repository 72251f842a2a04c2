"""The modals: what a person fills in to submit, decide, or decline. Labels are the ones people
see and the ones tests look for."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    CheckboxesElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    UrlInputElement,
)
from slack_sdk.models.views import View

from bot.blocks.kit import VIEW_BLOCK_LIMIT, clip, doc_link, render, section
from workflow.reviews import no_changes_statement
from workflow.summaries import ReviewSummary

SUBMIT_DRAFT = "modal.submit_draft"
NO_CHANGES = "modal.no_changes"
CONDITIONS = "modal.conditions"
SLT_CONDITIONS = "modal.slt_conditions"
DEFER = "modal.defer"
DECLINE_TARGET = "modal.decline_target"

# block_id / action_id of each field, so that submissions can be read back by name.
LINK = "link"
SUMMARY = "summary"
STATEMENT = "statement"
TEXT = "text"
BACK_TO_SLT = "back_to_slt"


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


def submit_draft(summary: ReviewSummary, metadata: str) -> dict[str, Any]:
    return _modal(
        SUBMIT_DRAFT,
        "Submit draft",
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


def no_changes(summary: ReviewSummary, metadata: str) -> dict[str, Any]:
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


def approve_with_conditions(summary: ReviewSummary, metadata: str, *, slt: bool) -> dict[str, Any]:
    blocks: list[Any] = [
        _about(summary),
        _text_input(
            TEXT,
            "Conditions",
            placeholder="The amendments that must be made before it can be approved",
        ),
    ]
    if slt:
        option = Option(value="yes", label="Return to SLT for approval")
        blocks.append(
            InputBlock(
                block_id=BACK_TO_SLT,
                label="Return to SLT for approval",
                optional=True,
                element=CheckboxesElement(action_id=BACK_TO_SLT, options=[option]),
            )
        )
    return _modal(
        SLT_CONDITIONS if slt else CONDITIONS,
        "Approve with conditions",
        "Approve",
        metadata,
        blocks,
    )


def defer_to_slt(summary: ReviewSummary, metadata: str) -> dict[str, Any]:
    return _modal(
        DEFER,
        "Defer to SLT",
        "Defer",
        metadata,
        [
            _about(summary),
            _text_input(TEXT, "Reason", placeholder="Why the SLT should decide this one"),
        ],
    )


def decline_target(summary: ReviewSummary, metadata: str) -> dict[str, Any]:
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
