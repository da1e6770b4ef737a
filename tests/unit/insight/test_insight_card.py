"""Model cards and the model folder: what is recorded, and refusing the wrong kind of model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chanli.insight.ml.card import DataProvenance, ModelMetadata, render_model_card
from chanli.insight.ml.errors import InsightInputError
from chanli.insight.ml.store import CARD_FILE, META_FILE, MODEL_FILE, load_model, save_model


def metadata(kind: str = "churn") -> ModelMetadata:
    return ModelMetadata(
        kind=kind,
        title="Churn risk (流失风险)",
        trained_at="2026-01-05T08:00:00+00:00",
        chanli_version="0.1.0",
        data=DataProvenance("accounts.csv", "ab" * 32, 1200),
        features=["contract (categorical, 2 levels)", "tenure (numeric)"],
        metrics={"auc": 0.85, "brier": 0.13, "n": 1200},
        validation="5-fold stratified cross-validation",
        libraries={"python": "3.11.7", "lightgbm": "4.7.0"},
        data_notes=["TotalCharges: 6 blank/malformed values imputed as missing"],
        dropped=["note: free text"],
        intended_use="Rank accounts by churn risk.",
        limitations=["Associations, not causes."],
        options={"seed": 0},
    )


def test_card_records_data_hash_rows_features_metrics_date_and_versions() -> None:
    card = render_model_card(metadata())
    for expected in (
        "# Model card: Churn risk (流失风险)",
        "- **Trained at:** 2026-01-05T08:00:00+00:00",
        "- **Chanli version:** 0.1.0",
        "| file | accounts.csv |",
        f"| sha256 | `{'ab' * 32}` |",
        "| rows | 1200 |",
        "- TotalCharges: 6 blank/malformed values imputed as missing",
        "- contract (categorical, 2 levels)",
        "- note: free text",
        "| auc | 0.85 |",
        "| lightgbm | 4.7.0 |",
    ):
        assert expected in card


def test_card_says_so_when_no_values_were_bad() -> None:
    meta = metadata()
    meta.data_notes = []
    assert "- no blank or malformed values found" in render_model_card(meta)


def test_saved_folder_holds_model_metadata_and_card(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    save_model(folder, {"weights": [1, 2]}, metadata())
    assert sorted(p.name for p in folder.iterdir()) == sorted([CARD_FILE, META_FILE, MODEL_FILE])
    saved = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    assert saved["data"] == {"name": "accounts.csv", "sha256": "ab" * 32, "rows": 1200}
    model, meta = load_model(folder, "churn")
    assert model == {"weights": [1, 2]}
    assert meta == metadata()


def test_loading_a_folder_of_another_kind_is_refused(tmp_path: Path) -> None:
    save_model(tmp_path, {"w": 1}, metadata("lead"))
    with pytest.raises(InsightInputError, match="holds a 'lead' model, not a 'churn' model"):
        load_model(tmp_path, "churn")


def test_loading_a_folder_that_is_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InsightInputError, match=r"is not a saved model: model\.json is missing"):
        load_model(tmp_path, "churn")
    with pytest.raises(InsightInputError, match="model folder not found"):
        load_model(tmp_path / "nope", "churn")
