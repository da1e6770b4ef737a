"""Every string a person can read is in both catalogs, so an untranslated label fails CI.

The messages are extracted the way ``make i18n-extract`` does it (Jinja templates with the
i18n extension, ``labels.py`` and the notice texts of ``integrations/messages.py`` with the
``N_`` marker) and compared with the ``.po`` files
that ``chanli.web.i18n`` compiles at start-up.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir, extract_from_file
from babel.messages.pofile import read_po

from chanli.integrations import messages as notice_messages
from chanli.web import labels

WEB = Path(labels.__file__).parent
LOCALE_DIR = WEB / "locale"


def _ui_messages() -> set[str]:
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        WEB / "templates",
        method_map=[("**.html", "jinja2")],
        options_map={"**.html": {"extensions": "jinja2.ext.i18n"}},
    ):
        found.update([message] if isinstance(message, str) else [m for m in message if m])
    for source in (WEB / "labels.py", Path(notice_messages.__file__)):
        for _line, message, _comments, _context in extract_from_file(
            "python", source, keywords={**DEFAULT_KEYWORDS, "N_": None}
        ):
            found.add(message if isinstance(message, str) else message[0])
    return found


def _catalog(locale: str) -> Catalog:
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        return read_po(fh, locale=locale)


def test_extraction_finds_the_ui_strings_of_templates_and_labels() -> None:
    """Guards the test itself: an empty extraction would make the other tests pass vacuously."""
    messages = _ui_messages()
    assert {"Dashboard", "Wrong username or password.", "Needs discovery", "Page %(n)s", "Churn warning"} <= messages
    assert len(messages) > 100


def test_every_ui_message_has_a_chinese_translation() -> None:
    zh = _catalog("zh_CN")
    untranslated = sorted(m for m in _ui_messages() if m not in zh or not zh[m].string or zh[m].fuzzy)
    assert untranslated == []


def test_every_ui_message_has_an_english_entry() -> None:
    en = _catalog("en")
    missing = sorted(m for m in _ui_messages() if m not in en or en[m].fuzzy)
    assert missing == []


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_translations_keep_their_placeholders(locale: str) -> None:
    problems = [(m.id, [str(e) for e in errors]) for m, errors in _catalog(locale).check() if errors]
    assert problems == []


def test_glossary_terms_are_translated_as_the_design_says() -> None:
    """DESIGN §3: the UI uses these Chinese words for these concepts."""
    zh = _catalog("zh_CN")
    assert {k: zh[k].string for k in ["Leads", "Opportunities", "Accounts", "Region", "Sales leaderboard",
                                      "Mentorships", "New hire", "Core", "Elite", "Collected"]} == {
        "Leads": "线索", "Opportunities": "商机", "Accounts": "客户", "Region": "大区",
        "Sales leaderboard": "销售龙虎榜", "Mentorships": "师徒协议", "New hire": "新人", "Core": "骨干",
        "Elite": "精英", "Collected": "回款",
    }
