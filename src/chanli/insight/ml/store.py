"""Saving and loading models: ``model.joblib`` + ``model.json`` + ``MODEL_CARD.md`` in one folder.

The joblib file holds the model object (classes of this package only: no lambdas, no closures).
``model.json`` is the small, greppable metadata the card is rendered from; loading checks it
first so "this folder holds a churn model, not a lead model" is a clear message instead of an
unpickling error. Only load model folders you trust: joblib files can run code when loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import joblib

from chanli.insight.ml.card import ModelMetadata, render_model_card
from chanli.insight.ml.errors import InsightInputError, ModelError

__all__ = ["CARD_FILE", "META_FILE", "MODEL_FILE", "load_model", "read_metadata", "save_model"]

MODEL_FILE = "model.joblib"
META_FILE = "model.json"
CARD_FILE = "MODEL_CARD.md"


def save_model(folder: Path, model: object, meta: ModelMetadata) -> Path:
    """Write the three files into ``folder`` (created if needed) and return the card's path."""
    folder.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, folder / MODEL_FILE, compress=3)
    (folder / META_FILE).write_text(
        json.dumps(meta.as_dict(), ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8"
    )
    card = folder / CARD_FILE
    card.write_text(render_model_card(meta), encoding="utf-8")
    return card


def read_metadata(folder: Path) -> ModelMetadata:
    path = folder / META_FILE
    if not folder.is_dir():
        raise InsightInputError(f"model folder not found: {folder}")
    if not path.exists():
        raise InsightInputError(f"{folder} is not a saved model: {META_FILE} is missing")
    try:
        return ModelMetadata.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc


def load_model(folder: Path, kind: str) -> tuple[object, ModelMetadata]:
    """The model object and its metadata, refusing a folder that holds another kind of model."""
    meta = read_metadata(folder)
    if meta.kind != kind:
        raise InsightInputError(f"{folder} holds a {meta.kind!r} model, not a {kind!r} model")
    try:
        model = joblib.load(folder / MODEL_FILE)
    except FileNotFoundError:
        raise InsightInputError(f"{folder} is missing {MODEL_FILE}") from None
    except Exception as exc:
        raise ModelError(f"cannot load {folder / MODEL_FILE}: {exc}") from exc
    return model, meta
