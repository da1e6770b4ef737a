"""Translations from Babel catalogs (``locale/<lang>/LC_MESSAGES/messages.po``).

The ``.po`` files are the source of truth and are compiled in memory at start-up, so there
is no build step and no binary ``.mo`` file to forget. Message ids are English; zh_CN is
the default UI language.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

__all__ = ["DEFAULT_LOCALE", "LOCALES", "negotiate", "translations"]

LOCALE_DIR = Path(__file__).with_name("locale")
LOCALES = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"


@cache
def translations(locale: str) -> NullTranslations:
    po = LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po"
    if not po.exists():
        return NullTranslations()
    with po.open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    return Translations(buf)


def negotiate(requested: str | None, accept_language: str | None, default: str = DEFAULT_LOCALE) -> str:
    """The explicit choice (cookie/query) wins; then the browser's languages; then zh_CN."""
    if requested in LOCALES:
        return requested  # type: ignore[return-value]
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower()
        if tag.startswith("zh"):
            return "zh_CN"
        if tag.startswith("en"):
            return "en"
    return default
