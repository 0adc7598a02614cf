"""The languages people read market in: Chinese (the default) and English.

Messages are written in English in the code and marked for translation; the Chinese catalogue is
`market/translations/zh/LC_MESSAGES/messages.po`, compiled to `.mo` by `scripts/bootstrap` (and by
`scripts/translations compile`). This module needs no Flask app: services and jobs render texts in
the recipient's language with `translate(locale, ...)`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel import Locale
from babel.support import NullTranslations, Translations

TRANSLATIONS = Path(__file__).parent / "translations"
# The language codes users choose (User.locale) and the Babel locale each stands for.
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}
DEFAULT_LOCALE = "zh"


def N_(message: str) -> str:
    """Mark `message` for the catalogue where it is defined; it is translated where it is shown."""
    return message


def locale_of(code: str | None) -> str:
    """The supported language code for `code` (a user's choice or a header's tag), else Chinese."""
    if code:
        language = code.replace("-", "_").split("_")[0].lower()
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


def babel_locale(code: str | None) -> Locale:
    return Locale.parse(LOCALES[locale_of(code)])


@cache
def translations(code: str) -> NullTranslations:
    """The compiled catalogue of `code`; English is the source language and needs none."""
    code = locale_of(code)
    if code == "en":
        return NullTranslations()
    loaded = Translations.load(str(TRANSLATIONS), [code], domain="messages")
    if not isinstance(loaded, Translations):
        raise RuntimeError(
            f"The {code} catalogue is not compiled; run scripts/bootstrap (or scripts/translations compile)."
        )
    return loaded


def translate(code: str | None, message: str, **params) -> str:
    """`message` in the language `code`, with `%(name)s` placeholders filled from `params`."""
    text = translations(locale_of(code)).gettext(message)
    return text % params if params else text
