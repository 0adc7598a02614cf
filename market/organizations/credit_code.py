"""The unified social credit code (统一社会信用代码) of GB 32100-2015 and its check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    """The check character of the first 17 characters (exactly 17, from ALPHABET)."""
    total = sum(ALPHABET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_problem(code: str) -> str | None:
    """Return why `code` is not a valid credit code, or None when it is."""
    if not isinstance(code, str) or len(code) != 18:
        return "must be exactly 18 characters"
    code = code.upper()
    bad = sorted({ch for ch in code if ch not in ALPHABET})
    if bad:
        return f"contains characters not allowed in a credit code: {''.join(bad)}"
    if not code[2:8].isdigit():
        return "characters 3 to 8 must be the 6-digit administrative division code"
    expected = check_character(code[:17])
    if code[17] != expected:
        return f"check character is wrong (expected {expected!r} for these first 17 characters)"
    return None


def make_credit_code(first17: str) -> str:
    """Complete 17 characters with their check character (used by demo data and factories)."""
    return first17 + check_character(first17)
