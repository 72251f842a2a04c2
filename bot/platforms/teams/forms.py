"""The forms behind Teams buttons that ask for something first (a draft's link and summary,
conditions, a reason ...): task-module dialogs, each an Adaptive Card with inputs, fetched with
`task/fetch` and sent back with `task/submit`. The same fields as Slack's modals, by the same
names, so that a use case reads them alike."""

from __future__ import annotations

from typing import Any

from microsoft_teams.cards import DateInput, SubmitAction, TextInput, ToggleInput

from bot.platforms.teams import cards
from bot.platforms.teams.kit import CONTENT_TYPE, card, clip, doc_link, note, para
from workflow.reviews import no_changes_statement
from workflow.summaries import ReviewSummary

LINK, SUMMARY, STATEMENT, TEXT, COMES_BACK, DUE = (
    "link",
    "summary",
    "statement",
    "text",
    "comes_back",
    "due",
)


def _text(
    name: str,
    label: str,
    *,
    required: bool = True,
    initial: str | None = None,
    placeholder: str | None = None,
    multiline: bool = True,
) -> TextInput:
    return TextInput(
        id=name,
        label=label,
        is_required=required or None,
        error_message=f"Fill in {label.lower()}." if required else None,
        is_multiline=multiline or None,
        max_length=3000,
        value=initial,
        placeholder=placeholder,
    )


def form(
    verb: str, value: str, summary: ReviewSummary, *, problem: str | None = None
) -> dict[str, Any] | None:
    """The task module for the button `verb` on a message about `summary`; None when the verb
    opens no form."""
    parts = value.split(":")
    option = parts[3] if len(parts) > 3 else None
    stage = summary.stage
    about = para(doc_link(summary.reference, summary.title, summary.link))
    submit = "Submit"
    if verb == cards.SUBMIT_DRAFT:
        title = "Submit second draft" if stage is not None else "Submit draft"
        fields: list[Any] = [
            _text(
                LINK,
                "Link to draft",
                required=False,
                multiline=False,
                placeholder="https://\u2026 the amended draft",
            ),
            _text(SUMMARY, "Summary of changes", placeholder="What changed, and why"),
        ]
    elif verb == cards.NO_CHANGES:
        title = "No changes needed"
        fields = [_text(STATEMENT, "Statement", initial=no_changes_statement(summary.title))]
    elif verb == cards.CONDITIONS:
        title, submit = "Approve with conditions", "Approve"
        fields = [
            _text(
                TEXT,
                "Conditions",
                placeholder="The amendments that must be made before it can be approved",
            )
        ]
        if stage is not None and stage.may_ask_back:
            fields.append(
                ToggleInput(
                    id=COMES_BACK,
                    title=clip(f"Return to {stage.body.short} for approval", 75),
                    value_on="yes",
                    value_off="",
                )
            )
    elif verb == cards.REFER:
        targets = list(stage.refer_to) if stage else []
        chosen = next((t for t in targets if t.key == option), targets[0] if targets else None)
        word = stage.refer_word if stage else "Refer"
        title, submit = (f"{word} to {chosen.short}" if chosen else word), word
        fields = [
            _text(
                TEXT,
                "Reason",
                placeholder=f"Why {chosen.the if chosen else 'they'} should decide this one",
            )
        ]
    elif verb == cards.COMMENT:
        title, submit = "Comment on the draft", "Send"
        fields = [_text(TEXT, "Comment", placeholder="Your comments on the draft")]
    elif verb == cards.DECLINE_TARGET:
        title, submit = "Decline target date", "Decline"
        fields = [_text(TEXT, "Why", placeholder="Why the later date cannot be agreed")]
    elif verb == cards.AGREE_DUE:
        title, submit = "Agree the due date", "Agree"
        fields = [
            DateInput(
                id=DUE, label="Due date", is_required=True, value=summary.due_date.isoformat()
            )
        ]
    else:
        return None
    drawn = card(
        title,
        [
            about,
            note(f"\u26a0\ufe0f {problem}") if problem else None,
            *fields,
        ],
    ).card
    drawn["actions"] = [
        SubmitAction(title=submit, data={"verb": verb, "value": value}).model_dump(
            by_alias=True, exclude_none=True
        )
    ]
    return {
        "title": clip(title, 60),
        "width": "medium",
        "height": "medium",
        "card": {"contentType": CONTENT_TYPE, "content": drawn},
    }
