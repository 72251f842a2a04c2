"""The one exception a refused action raises, and the one for input that cannot be understood."""

from __future__ import annotations


class Refused(Exception):
    """An action the rules do not allow. `str(exc)` is a sentence to show the person.

    `code` says which kind: `wrong_state` (the review has moved on, or never got there),
    `not_allowed` (this person may not), `not_found`, or `invalid` (the input is wrong).
    """

    def __init__(
        self, message: str, *, code: str = "not_allowed", field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field  # for `invalid`: which input was wrong
        self.document_id: int | None = None
        self.review_id: int | None = None

    def about(self, document_id: int | None, review_id: int | None = None) -> Refused:
        """Name the document and review refused, so that the refusal is on their history."""
        self.document_id, self.review_id = document_id, review_id
        return self


class Duplicate(Refused):
    """A request already acted on: the chat platform sent it again (a retry, a double click
    delivered twice). Nothing is recorded, not even a refusal."""

    def __init__(self, message: str = "That was already dealt with.") -> None:
        super().__init__(message, code="wrong_state")


class InputProblem(Exception):
    """Input that cannot be used, with every problem found (not just the first)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems
