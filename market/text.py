"""Text that says something: the one test for required text, used by the schemas and the services;
and text written into a spreadsheet cell, which must not run there."""

from __future__ import annotations

import unicodedata

from market.errors import InvalidInput

REASON_MAX = 2000


# Characters that are not format characters (Cf) yet show nothing: the combining grapheme joiner,
# the Hangul fillers, the Khmer inherent vowels, Mongolian and other variation selectors, the
# Braille blank.
_BLANK = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, 0x2800, *range(0x180B, 0x1810),
     *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)]
)


def invisible(char: str) -> bool:
    """Whitespace, a Unicode format character (zero-width space, direction mark, BOM) or another
    character that renders as nothing."""
    return char.isspace() or unicodedata.category(char) == "Cf" or ord(char) in _BLANK


def says_nothing(value: str | None) -> bool:
    """True for None or text that is empty once whitespace and invisible characters are removed."""
    return value is None or all(invisible(char) for char in value)


def visible(value: str) -> str:
    """What a reader sees of `value`: the text without its invisible characters (to compare by)."""
    return "".join(char for char in value if not invisible(char))


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


# A cell starting with one of these is a formula to Excel and its kin, which a firm's name or a
# reason must never become in an export.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """`value` as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value
