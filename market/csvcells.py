"""CSV files as the programme's exports write them: cells safe to open in a spreadsheet, written
in chunks so that a long export streams."""

from __future__ import annotations

import io

# Spreadsheets run a cell that starts with one of these as a formula; exports hold what others typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads the file as UTF-8 only with it


def cell(value) -> str:
    """One value as a cell: empty for None, lists joined, a text that a spreadsheet would run as a
    formula quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = "; ".join(f"{k}={v:g}" if isinstance(v, float | int) else f"{k}={v}"
                          for k, v in value.items())
    elif not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def drain(buffer: io.StringIO) -> str:
    """What was written to `buffer` since the last drain, and an empty buffer."""
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
