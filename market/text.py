"""Text that says something: the one test for required text, used by the schemas and the services."""

from __future__ import annotations

import unicodedata

from market.errors import InvalidInput

REASON_MAX = 2000


def says_nothing(value: str | None) -> bool:
    """True for None or text that is empty once whitespace and invisible characters (Unicode format
    characters: zero-width spaces, direction marks, the BOM) are removed."""
    return value is None or all(
        char.isspace() or unicodedata.category(char) == "Cf" for char in value
    )


def require_reason(reason: str | None, *, field: str = "reason") -> str:
    """A decision's reason, trimmed; 422 when it says nothing or is too long."""
    if says_nothing(reason):
        raise InvalidInput(
            "Give a reason for this decision.", errors={field: ["A reason is required."]}
        )
    reason = reason.strip()
    if len(reason) > REASON_MAX:
        raise InvalidInput(
            "The reason is too long.", errors={field: [f"At most {REASON_MAX} characters."]}
        )
    return reason


def optional_note(note: str | None, *, field: str = "note") -> str | None:
    """An optional internal note, trimmed; None when it says nothing."""
    if says_nothing(note):
        return None
    note = note.strip()
    if len(note) > REASON_MAX:
        raise InvalidInput(
            "The note is too long.", errors={field: [f"At most {REASON_MAX} characters."]}
        )
    return note
