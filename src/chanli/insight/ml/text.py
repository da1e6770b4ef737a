"""Chinese text handling shared by the sentiment model and the call analysis.

Why normalise: the same words arrive full-width or half-width, and some sources (the chat
corpus, ASR output) put spaces between words. NFKC folding plus removing spaces next to
Chinese characters makes all of them look like ordinary written Chinese before tokenising.
"""

from __future__ import annotations

import itertools
import logging
import re
import unicodedata
from functools import lru_cache

import jieba

__all__ = ["char_ngrams", "normalize_text", "split_clauses", "tokenize", "word_ngrams"]

_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SPACE_NEAR_CJK = re.compile(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])")
_CLAUSE_BREAK = re.compile(r"[。！？!?；;，,、…~\n]+|\.(?!\d)")


def normalize_text(text: str) -> str:
    """NFKC-fold, drop spaces touching Chinese characters, collapse the remaining whitespace."""
    folded = unicodedata.normalize("NFKC", text or "")
    return " ".join(_SPACE_NEAR_CJK.sub("", folded).split())


@lru_cache(maxsize=1)
def _tokenizer() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


def tokenize(text: str) -> list[str]:
    """Words of normalised ``text`` (jieba, precise mode), without whitespace tokens."""
    return [w for w in _tokenizer().lcut(normalize_text(text)) if w.strip()]


def word_ngrams(tokens: list[str]) -> list[str]:
    """Word unigrams and bigrams of an already tokenised text (the vectoriser's analyser).

    A module-level function rather than a lambda so fitted vectorisers can be pickled.
    """
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


def char_ngrams(text: str) -> list[str]:
    """Character 1- to 4-grams: robust to segmentation errors and unseen compound words."""
    grams: list[str] = []
    for n in range(1, 5):
        grams.extend(text[i : i + n] for i in range(len(text) - n + 1))
    return grams


def split_clauses(text: str) -> list[str]:
    """Clauses split at Chinese and Western punctuation (not at decimal points)."""
    return [c.strip() for c in _CLAUSE_BREAK.split(normalize_text(text)) if c.strip()]
