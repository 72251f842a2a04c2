"""What an owner means when they write to signoff: a date, a question, or a note.

Pure: text, the day and the references signoff knows in; an `Understood` out. Dates in words are
read with dateparser, day first, preferring the future, in the organisation's time zone."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import dateparser
from dateparser.search import search_dates
from dateutil.relativedelta import relativedelta

from workflow.references import REFERENCE_LIKE, TOKEN

DATE_EXAMPLES = (
    '"in 2 weeks", "by Friday", "end of next month", "15/03" or "I\'ll finish LAC-014 by 30/04"'
)

_HELP = re.compile(r"^\s*(help|\?|what can you do\??|how does this work\??)\s*$", re.I)
_STATUS = re.compile(
    r"^\s*(status|what'?s due\??|whats due\??|what is due\??|my reviews|mine"
    r"|list)\s*[.!?]*\s*$",
    re.I,
)
_END_OF = re.compile(
    r"\b(?:the\s+)?end\s+of\s+(?:the\s+)?(this|next|the)?\s*(month|year|"
    r"january|february|march|april|may|june|july|august|september|october|"
    r"november|december)\b",
    re.I,
)
# Words that make a message about timing rather than a note.
_DATE_CUES = re.compile(
    r"\b(by|in|on|until|till|before|end of|finish|finished|done|complete|"
    r"ready|next|tomorrow|today|week|weeks|month|months|fortnight|monday|"
    r"tuesday|wednesday|thursday|friday|saturday|sunday)\b|\d{1,2}/\d{1,2}",
    re.I,
)
_NUMERIC_DATE = re.compile(r"\b(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2,4}))?\b")


@dataclass(frozen=True)
class Understood:
    kind: str  # help | status | date | bad_date | note | no_such_document
    reference: str | None = None
    when: date | None = None
    phrase: str | None = None
    did_you_mean: str | None = None  # for no_such_document: the nearest known reference


def references_in(text: str, known: set[str]) -> list[str]:
    """The known references named in `text`, in the register's own spelling."""
    by_upper = {ref.upper(): ref for ref in known}
    found = []
    for token in TOKEN.findall(text):
        ref = by_upper.get(token.upper())
        if ref and ref not in found:
            found.append(ref)
    return found


def unknown_references(text: str, known: set[str]) -> list[str]:
    """What `text` names as a reference that the register does not hold, in capitals: a word
    written like one of the register's references, with one of its prefixes."""
    known_upper = {ref.upper() for ref in known}
    prefixes = {m.group(1).upper() for ref in known if (m := REFERENCE_LIKE.fullmatch(ref))}
    found = []
    for match in REFERENCE_LIKE.finditer(text):
        token = match.group(0).upper()
        if match.group(1).upper() in prefixes and token not in known_upper and token not in found:
            found.append(token)
    return found


def nearest_reference(written: str, known: set[str]) -> str | None:
    """The known reference `written` most likely meant (LAC-14 for LAC-014), if any is close."""
    by_upper = {ref.upper(): ref for ref in known}
    close = difflib.get_close_matches(written.upper(), list(by_upper), n=1, cutoff=0.8)
    return by_upper[close[0]] if close else None


def understand(text: str, *, today: date, zone: ZoneInfo, known: set[str]) -> Understood:
    text = " ".join((text or "").split())
    if _HELP.match(text):
        return Understood("help")
    if _STATUS.match(text):
        return Understood("status")
    references = references_in(text, known)
    reference = references[0] if references else None
    unknown = unknown_references(text, known)
    if reference is None and unknown:
        # Never taken as the thread's review, nor kept as a note on it.
        return Understood(
            "no_such_document", phrase=unknown[0], did_you_mean=nearest_reference(unknown[0], known)
        )
    rest = text
    for ref in references:
        rest = re.sub(re.escape(ref), " ", rest, flags=re.I)
    if not _DATE_CUES.search(rest):
        return Understood("note", reference=reference)
    when, phrase = read_date(rest, today=today, zone=zone)
    if when is None:
        if phrase is not None or _NUMERIC_DATE.search(rest):
            return Understood("bad_date", reference=reference, phrase=phrase or rest)
        return Understood("note", reference=reference)
    return Understood("date", reference=reference, when=when, phrase=phrase)


def read_date(text: str, *, today: date, zone: ZoneInfo) -> tuple[date | None, str | None]:
    """The date `text` speaks of, and the words that said it. (None, words) for a date that is
    written but impossible, such as 31/02."""
    end = _END_OF.search(text)
    if end:
        return _end_of(end.group(1), end.group(2), today), end.group(0)
    numeric = _NUMERIC_DATE.search(text)
    if numeric:
        return _numeric(numeric, today), numeric.group(0)
    base = datetime.combine(today, time(12, 0))
    settings = {
        "PREFER_DATES_FROM": "future",
        "DATE_ORDER": "DMY",
        "RELATIVE_BASE": base,
        "TIMEZONE": str(zone),
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    cleaned = re.sub(
        r"\b(i'?ll|i will|we'?ll|have it|it|finish(ed)?|done|complete(d)?|ready|"
        r"the review|review|be|by|until|till|before)\b",
        " ",
        text,
        flags=re.I,
    )
    cleaned = " ".join(cleaned.split())
    parsed = dateparser.parse(cleaned, languages=["en"], settings=settings) if cleaned else None
    phrase = cleaned
    if parsed is None:
        found = search_dates(text, languages=["en"], settings=settings)
        if not found:
            return None, None
        phrase, parsed = found[-1]
    when = parsed.date()
    if when < today and not re.search(r"\b\d{4}\b", phrase or ""):
        # "by the 3rd" on the 23rd means next month's 3rd, never one that has passed.
        when += relativedelta(months=1)
    return when, phrase


def _end_of(which: str | None, unit: str, today: date) -> date:
    unit = unit.lower()
    if unit == "year":
        year = today.year + (1 if (which or "").lower() == "next" else 0)
        return date(year, 12, 31)
    if unit == "month":
        months = 1 if (which or "").lower() == "next" else 0
        first = today.replace(day=1) + relativedelta(months=months)
        return first + relativedelta(months=1, days=-1)
    month = datetime.strptime(unit[:3], "%b").month
    year = today.year if month >= today.month else today.year + 1
    return date(year, month, 1) + relativedelta(months=1, days=-1)


def _numeric(match: re.Match[str], today: date) -> date | None:
    day_, month = int(match.group(1)), int(match.group(2))
    year_text = match.group(3)
    try:
        if year_text:
            year = int(year_text) + (2000 if len(year_text) == 2 else 0)
            return date(year, month, day_)
        candidate = date(today.year, month, day_)
        return candidate if candidate >= today else date(today.year + 1, month, day_)
    except ValueError:
        return None
