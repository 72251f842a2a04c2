"""Counts read as English."""

from __future__ import annotations

import pytest

from workflow.words import counted


@pytest.mark.parametrize(
    ("number", "noun", "plural", "said"),
    [
        (0, "document", None, "0 documents"),
        (1, "document", None, "1 document"),
        (2, "document", None, "2 documents"),
        (1, "problem", None, "1 problem"),
        (11, "problem", None, "11 problems"),
        (1, "new person", "new people", "1 new person"),
        (3, "new person", "new people", "3 new people"),
    ],
)
def test_a_count_agrees_with_its_noun(number, noun, plural, said):
    assert counted(number, noun, plural) == said
