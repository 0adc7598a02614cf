"""The languages people read market in: Chinese (the default) and English.

Messages are written in English in the code and marked for translation; the Chinese catalogue is
`market/translations/zh/LC_MESSAGES/messages.po`, compiled to `.mo` by `scripts/bootstrap` (and by
`scripts/translations compile`). This module needs no Flask app: services and jobs render texts in
the recipient's language with `translate(locale, ...)`.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_datetime
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


def moment(value: dt.datetime | str, language: str | None) -> str:
    """A moment as people read it in `language` (2026年12月7日 23:00:51), in the time zone it was
    given in: the programme's, since services write local times (as pages do with `when`). A text
    that is no time is given back as it is."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value, "medium", tzinfo=value.tzinfo, locale=babel_locale(language))


def day(value: dt.date | str, language: str | None) -> str:
    """A calendar day as people read it in `language` (2026年12月7日), as pages show it."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value
    return format_date(value, "long", locale=babel_locale(language))


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


def translate(language: str | None, message: str, /, **params) -> str:
    """`message` in `language`, with `%(name)s` placeholders filled from `params`."""
    text = translations(locale_of(language)).gettext(message)
    return text % params if params else text


# Messages that carry a value (marshmallow's and the services'), as patterns: the part in a group
# is kept as it is, the rest translated. A message matching none is looked up as it is.
PATTERNS: list[tuple[re.Pattern, str]] = [
    (re.compile(p), t) for p, t in (
        (r"^Shorter than minimum length (?P<n>\d+)\.$", N_("Shorter than minimum length %(n)s.")),
        (r"^Longer than maximum length (?P<n>\d+)\.$", N_("Longer than maximum length %(n)s.")),
        (r"^Length must be between (?P<a>\d+) and (?P<b>\d+)\.$",
         N_("Length must be between %(a)s and %(b)s.")),
        (r"^Must be one of: (?P<choices>.*)\.$", N_("Must be one of: %(choices)s.")),
        (r"^Must be greater than or equal to (?P<n>[^ ]+)\.$", N_("Must be at least %(n)s.")),
        (r"^Must be less than or equal to (?P<n>[^ ]+)\.$", N_("Must be at most %(n)s.")),
        (r"^Must be greater than or equal to (?P<a>[^ ]+) and less than or equal to (?P<b>[^ ]+)\.$",
         N_("Must be between %(a)s and %(b)s.")),
        (r"^Must not be later than (?P<field>\w+)\.$", N_("Must not be later than %(field)s.")),
        (r"^Must not be more than (?P<field>\w+)\.$", N_("Must not be more than %(field)s.")),
        (r"^Can only be extended: later than (?P<when>.+)\.$", N_("Can only be extended: later than %(when)s.")),
        (r"^At most the order's volume \((?P<n>\d+)\)\.$", N_("At most the order's volume (%(n)s).")),
        (r"^The order is not splittable: bid for its whole volume \((?P<n>\d+)\)\.$",
         N_("The order is not splittable: bid for its whole volume (%(n)s).")),
        (r"^At least the order's minimum lot \((?P<n>\d+)\)\.$", N_("At least the order's minimum lot (%(n)s).")),
        (r"^At most your firm's seats \((?P<n>\d+)\)\.$", N_("At most your firm's seats (%(n)s).")),
        (r"^Must not be after the order's delivery deadline \((?P<day>[0-9-]+)\)\.$",
         N_("Must not be after the order's delivery deadline (%(day)s).")),
        (r"^Must be more than (?P<a>\d+) and at most (?P<b>\d+)\.$",
         N_("Must be more than %(a)s and at most %(b)s.")),
        (r"^At most (?P<n>\d+): the rest is accepted or waiting for inspection\.$",
         N_("At most %(n)s: the rest is accepted or waiting for inspection.")),
        (r"^At most the sample size, (?P<n>\d+)\.$", N_("At most the sample size, %(n)s.")),
        (r"^Must be the lot's value, (?P<amount>[0-9.]+) CNY\.$",
         N_("Must be the lot's value, %(amount)s CNY.")),
        (r"^Must be from (?P<a>[0-9-]+) \(acceptance\) to (?P<b>[0-9-]+)\.$",
         N_("Must be from %(a)s (acceptance) to %(b)s.")),
        (r"^Not a valid unified social credit code: contains characters not allowed in a credit code: "
         r"(?P<chars>.+)\.$",
         N_("Not a valid unified social credit code: it contains characters a credit code does not use: "
            "%(chars)s.")),
        (r"^Not a valid unified social credit code: check character is wrong \(expected '(?P<expected>.)' "
         r"for these first 17 characters\)\.$",
         N_("Not a valid unified social credit code: the check character (the last one) is wrong; for "
            "these first 17 characters it is %(expected)s.")),
        (r"^Must be digits 0-9 with at most (?P<n>\d+) decimal places, e\.g\. \"1234\.50\" "
         r"\(no exponent, no rounding\)\.$",
         N_("Must be digits 0-9 with at most %(n)s decimal places, e.g. \"1234.50\" (no exponent, "
            "no rounding).")),
    )
]
# marshmallow's fixed messages, marked here so that the catalogue has them.
FIXED = (
    N_("Missing data for required field."), N_("Field may not be null."),
    N_("Not a valid email address."), N_("Not a valid integer."), N_("Not a valid number."),
    N_("Not a valid date."), N_("Not a valid datetime."), N_("Not a valid string."),
    N_("Not a valid boolean."), N_("Unknown field."), N_("Not a valid list."),
    # The schemas' and services' own fixed messages that forms show beside a field.
    N_("Must not be empty (nor only spaces or invisible characters)."), N_("A reason is required."),
    N_("Give at least one field to change."), N_("Nothing would change."),
    N_("Give at least one term to change."), N_("Must not be in the past."),
    N_("Give the manifest's checksum or its list of item ids."),
    N_("already registered"),
    N_("Not a valid unified social credit code: must be exactly 18 characters."),
    N_("Not a valid unified social credit code: characters 3 to 8 must be the 6-digit administrative "
       "division code."),
)


def translate_message(code: str | None, message: str) -> str:
    """A validation or domain message in the language `code`, values it carries kept."""
    catalogue = translations(locale_of(code))
    for pattern, template in PATTERNS:
        found = pattern.match(message)
        if found:
            return catalogue.gettext(template) % found.groupdict()
    return catalogue.gettext(message)
