"""``chanli bench insight``: how long each model takes to train and how fast it scores.

Performance figures live here rather than in timed unit tests (which would be flaky on a busy
CI machine). With the shared datasets present the bench uses them; without, it generates
synthetic rows of the same shape so the numbers are still comparable between runs.
``sentiment_cross_domain_matrix`` is the study behind the table in docs.md.
"""

from __future__ import annotations

import os
import platform
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from chanli.insight.ml.datafiles import read_csv_rows
from chanli.insight.ml.default_sentiment import default_sentiment_model
from chanli.insight.ml.forecast import backtest, opportunities_from_rows
from chanli.insight.ml.leads import join_funnel, train_lead_model
from chanli.insight.ml.sentiment import (
    SentimentModel,
    evaluate_sentiment,
    holdout_split,
    parse_sentiment_labels,
    train_sentiment,
)
from chanli.insight.ml.tabular import train_tabular

__all__ = ["SENTIMENT_SETS", "load_sentiment_set", "run_insight_bench", "sentiment_cross_domain_matrix"]

TELCO = "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.dev70.csv"
OLIST = "olist_marketing_funnel"
MAVEN = "crm_sales_opportunities"
SENTIMENT_SETS = {
    "hotel": ("chnsenticorp_htl/ChnSentiCorp_htl_all.dev70.csv", "review", "label"),
    "chat": ("chinese_conversation_sentiment/sentiment_XS_30k.csv", "text", "labels"),
}


def _timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    result = work()
    return result, time.perf_counter() - started


def load_sentiment_set(data_dir: Path, name: str) -> tuple[list[str], np.ndarray]:
    """Texts and 0/1 labels of one shared sentiment dataset (spaces are removed by the model)."""
    path, text_column, label_column = SENTIMENT_SETS[name]
    rows = read_csv_rows(data_dir / path).rows
    return [r[text_column] for r in rows], parse_sentiment_labels([r[label_column] for r in rows], label_column)


def _synthetic_churn(n: int, seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        contract = rng.choice(["月付", "年付", "两年"])
        recency = rng.randint(0, 120)
        complaints = rng.randint(0, 5)
        risk = (contract == "月付") * 1.2 + recency / 60 + complaints * 0.4 - 2.0
        rows.append(
            {
                "account_id": f"A{i:05d}",
                "contract": contract,
                "days_since_activity": recency,
                "complaints": complaints,
                "satisfaction": rng.choice([1, 2, 3, 4, 5, None]),
                "churned": "Yes" if rng.random() < 1 / (1 + np.exp(-risk)) else "No",
            }
        )
    return rows


def _synthetic_texts(n: int, seed: int) -> tuple[list[str], np.ndarray]:
    rng = random.Random(seed)
    good = ["服务很好", "非常满意", "价格合理", "交付及时", "合作愉快", "产品质量不错"]
    bad = ["价格太贵", "很不满意", "交付延期", "服务太差", "一直没人处理", "质量有问题"]
    texts, labels = [], []
    for _ in range(n):
        positive = rng.random() < 0.6
        words = [*rng.sample(good if positive else bad, 2), rng.choice(good + bad)]
        texts.append("，".join(words) + "。")
        labels.append(int(positive))
    return texts, np.array(labels)


def _rate(rows: int, seconds: float) -> float:
    return round(rows / seconds, 1) if seconds > 0 else float("inf")


def run_insight_bench(data_dir: Path | None = None, *, seed: int = 0) -> dict[str, Any]:
    """Training seconds and scoring rows/s per model (single process).

    Args:
        data_dir: the shared datasets folder; None or missing files → synthetic data.
        seed: seed for splits and synthetic data.
    """
    shared = data_dir is not None and (data_dir / TELCO).exists()
    report: dict[str, Any] = {
        "data": "shared" if shared else "synthetic",
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "models": {},
    }
    models = report["models"]

    churn_rows: Sequence[dict[str, object]]
    if shared:
        assert data_dir is not None
        churn_rows, label, id_column = read_csv_rows(data_dir / TELCO).rows, "Churn", "customerID"
    else:
        churn_rows, label, id_column = _synthetic_churn(5000, seed), "churned", "account_id"
    churn, seconds = _timed(lambda: train_tabular(churn_rows, label, id_column))
    _, scoring = _timed(lambda: churn.predict(churn_rows))
    models["churn"] = {
        "rows": len(churn_rows),
        "train_seconds": round(seconds, 3),
        "score_rows_per_s": _rate(len(churn_rows), scoring),
        "validation": churn.validation,
    }

    if shared:
        assert data_dir is not None
        texts, labels = load_sentiment_set(data_dir, "hotel")
        chat_texts, _ = load_sentiment_set(data_dir, "chat")
    else:
        texts, labels = _synthetic_texts(5000, seed)
        chat_texts = texts
    sentiment, seconds = _timed(lambda: train_sentiment(texts, labels, seed=seed))
    _, scoring = _timed(lambda: sentiment.score(texts))
    _, chat_scoring = _timed(lambda: sentiment.score(chat_texts))
    default = default_sentiment_model()
    _, default_scoring = _timed(lambda: default.score(chat_texts))
    models["sentiment"] = {
        "rows": len(texts),
        "train_seconds": round(seconds, 3),
        "score_rows_per_s": _rate(len(texts), scoring),
        "score_short_texts_rows_per_s": _rate(len(chat_texts), chat_scoring),
        "default_model_short_texts_rows_per_s": _rate(len(chat_texts), default_scoring),
    }

    if shared:
        assert data_dir is not None
        folder = data_dir / OLIST
        lead_rows: Sequence[dict[str, object]] = join_funnel(
            read_csv_rows(folder / "olist_marketing_qualified_leads_dataset.csv").rows,
            read_csv_rows(folder / "olist_closed_deals_dataset.csv").rows,
        )
        lead, seconds = _timed(lambda: train_lead_model(lead_rows))
        _, scoring = _timed(lambda: lead.predict(lead_rows))
        models["lead"] = {
            "rows": len(lead_rows),
            "train_seconds": round(seconds, 3),
            "score_rows_per_s": _rate(len(lead_rows), scoring),
            "validation": lead.validation,
        }
        maven = data_dir / MAVEN
        opportunities = opportunities_from_rows(
            read_csv_rows(maven / "sales_pipeline.csv").rows, read_csv_rows(maven / "products.csv").rows
        )
        result, seconds = _timed(lambda: backtest(opportunities))
        models["forecast"] = {
            "opportunities": len(opportunities),
            "backtest_seconds": round(seconds, 3),
            "mape": dict(result.mape),
        }
    return report


def sentiment_cross_domain_matrix(data_dir: Path, *, seed: int = 0, holdout: float = 0.2) -> dict[str, Any]:
    """Train on each dataset's training split (and on both combined), test on every test split.

    Each dataset is split once, stratified, so no test text is ever trained on. Also reports
    the shipped default (lexicon) on every test split.
    """
    splits = {}
    for name in SENTIMENT_SETS:
        texts, labels = load_sentiment_set(data_dir, name)
        splits[name] = holdout_split(texts, labels, holdout, seed)
    trained: dict[str, SentimentModel] = {}
    for name, (fit, _, fit_labels, _) in splits.items():
        trained[name] = train_sentiment(fit, fit_labels, seed=seed)
    combined_texts = [t for s in splits.values() for t in s[0]]
    combined_labels = np.concatenate([s[2] for s in splits.values()])
    trained["hotel+chat"] = train_sentiment(combined_texts, combined_labels, seed=seed)
    trained["default (no training)"] = default_sentiment_model()
    matrix: dict[str, dict[str, dict[str, float]]] = {}
    for model_name, model in trained.items():
        matrix[model_name] = {
            test_name: evaluate_sentiment(model, held, held_labels)
            for test_name, (_, held, _, held_labels) in splits.items()
        }
    return {"seed": seed, "holdout": holdout, "train_on → test_on": matrix}
