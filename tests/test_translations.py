"""The Chinese catalogue says every message the code marks, and what it says keeps the placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from market import i18n
from market.notifications.texts import TEXTS, render

ROOT = Path(__file__).resolve().parents[1]
KEYWORDS = {"N_": None, "_": None, "_l": None, "gettext": None, "lazy_gettext": None}


def _marked() -> set[str]:
    found = extract_from_dir(
        str(ROOT), method_map=[("market/**.py", "python"), ("market/**/templates/**.html", "jinja2")], keywords=KEYWORDS
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def _catalogue():
    with open(i18n.TRANSLATIONS / "zh" / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po)


def test_every_marked_message_is_translated_into_chinese():
    catalogue = _catalogue()
    translated = {m.id for m in catalogue if m.id and m.string and "fuzzy" not in m.flags}
    missing = sorted(_marked() - translated)
    assert missing == [], "run scripts/translations extract and translate these: " + repr(missing)


def test_translations_keep_every_placeholder():
    for message in _catalogue():
        if message.id and message.string:
            assert set(re.findall(r"%\((\w+)\)s", message.string)) == set(
                re.findall(r"%\((\w+)\)s", message.id)
            ), message.id


@pytest.mark.parametrize("kind", sorted(TEXTS))
def test_each_notification_reads_in_both_languages(kind):
    placeholders = set(re.findall(r"%\((\w+)\)s", TEXTS[kind][1]))
    payload = {name: f"<{name}>" for name in placeholders}
    title_zh, text_zh = render(kind, payload, "zh")
    title_en, text_en = render(kind, payload, "en")
    assert (title_en, text_en) == (TEXTS[kind][0], TEXTS[kind][1] % payload)
    for key, sentence in (TEXTS[kind][2] if len(TEXTS[kind]) > 2 else {}).items():
        assert render(kind, {**payload, key: True}, "en")[1] == f"{text_en} {sentence}"
    assert title_zh != title_en and re.search(r"[\u4e00-\u9fff]", title_zh + text_zh)
    assert all(value in text_zh for value in payload.values())


def test_the_language_falls_back_to_chinese():
    assert [i18n.locale_of(code) for code in ("en-GB", "EN", "zh_CN", "fr", None, "")] == [
        "en", "en", "zh", "zh", "zh", "zh",
    ]
