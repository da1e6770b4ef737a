"""``chanli models`` end to end on small generated files: exit codes, JSON shape, the card."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chanli.cli.models import app

runner = CliRunner()


def write_accounts(path: Path, n: int = 240, seed: int = 5) -> Path:
    """An account export in the shape a company would hand over (text values, one blank)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["AccountID", "Contract", "Complaints", "MonthlySpend", "Churn"])
        for i in range(n):
            contract = rng.choice(["Month-to-month", "One year"])
            complaints = rng.randint(0, 4)
            chance = 0.05 + (0.45 if contract == "Month-to-month" else 0) + 0.08 * complaints
            spend = "" if i == 3 else f"{rng.uniform(20, 120):.2f}"
            writer.writerow([f"C{i:04d}", contract, complaints, spend, "Yes" if rng.random() < chance else "No"])
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("churn")
    data = write_accounts(folder / "accounts.csv")
    result = runner.invoke(app, ["train", "churn", "--data", str(data), "--out", str(folder / "model")])
    assert result.exit_code == 0, result.output
    return data, folder / "model"


def test_train_writes_model_metadata_and_a_card_with_the_data_report(trained: tuple[Path, Path]) -> None:
    _, model = trained
    card = (model / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "| file | accounts.csv |" in card
    assert "| rows | 240 |" in card
    assert "- MonthlySpend: 1 blank/malformed values imputed as missing" in card
    assert "- Contract (categorical, 2 levels)" in card
    meta = json.loads((model / "model.json").read_text(encoding="utf-8"))
    assert meta["kind"] == "churn"
    assert meta["options"]["id_column"] == "AccountID"  # first column ending in "id"
    assert set(meta["libraries"]) >= {"python", "chanli", "numpy", "scikit-learn", "lightgbm"}


def test_evaluate_json_prints_exactly_one_object_with_auc_brier_n(trained: tuple[Path, Path], tmp_path: Path) -> None:
    _, model = trained
    unseen = write_accounts(tmp_path / "unseen.csv", n=120, seed=99)
    result = runner.invoke(app, ["evaluate", "churn", "--model", str(model), "--data", str(unseen), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert isinstance(payload, dict)
    assert payload["n"] == 120
    assert 0.0 <= payload["brier"] <= 1.0
    assert 0.5 < payload["auc"] <= 1.0


def test_score_writes_one_row_per_account_with_reasons(trained: tuple[Path, Path], tmp_path: Path) -> None:
    data, model = trained
    out = tmp_path / "scores.csv"
    result = runner.invoke(app, ["score", "churn", "--model", str(model), "--data", str(data), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 240
    assert rows[0]["id"] == "C0000"
    assert rows[0]["reasons"].count("(") >= 1


def test_a_missing_label_column_exits_2_naming_the_columns(tmp_path: Path) -> None:
    data = write_accounts(tmp_path / "a.csv")
    result = runner.invoke(
        app, ["train", "churn", "--data", str(data), "--out", str(tmp_path / "m"), "--label-column", "Left"]
    )
    assert result.exit_code == 2
    assert "label column 'Left' not found; columns found: AccountID, Contract" in " ".join(result.output.split())


def test_a_missing_data_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["train", "churn", "--data", str(tmp_path / "no.csv"), "--out", str(tmp_path / "m")])
    assert result.exit_code == 2
    assert "data file not found" in result.output


def test_evaluating_with_a_model_of_another_kind_exits_2(trained: tuple[Path, Path]) -> None:
    data, model = trained
    result = runner.invoke(app, ["evaluate", "lead", "--model", str(model), "--data", str(data), "--json"])
    assert result.exit_code == 2
    assert "holds a 'churn' model, not a 'lead' model" in " ".join(result.output.split())


def test_unknown_kind_is_a_usage_error() -> None:
    assert runner.invoke(app, ["train", "upsell", "--data", "x", "--out", "y"]).exit_code == 2


def test_sentiment_scores_with_the_shipped_default_when_no_model_is_given(tmp_path: Path) -> None:
    data = tmp_path / "calls.csv"
    data.write_text("review\n客户非常满意，已经签约了\n服务太差了，我要投诉\n", encoding="utf-8")
    result = runner.invoke(app, ["score", "sentiment", "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert [(r["id"], r["label"]) for r in payload] == [("1", 1), ("2", 0)]


def test_sentiment_evaluate_json_has_accuracy_macro_f1_and_speed(tmp_path: Path) -> None:
    data = tmp_path / "labelled.csv"
    data.write_text("text,labels\n很 满意\tpositive\n".replace("\t", ",") + "太 差 了,negative\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["evaluate", "sentiment", "--data", str(data), "--text-column", "text", "--label-column", "labels", "--json"],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert (payload["accuracy"], payload["macro_f1"], payload["n"]) == (1.0, 1.0, 2)
    assert payload["ms_per_text"] >= 0


def test_bad_stage_probability_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["backtest", "forecast", "--data", str(tmp_path), "--stage-probability", "Engaging=1.5"]
    )
    assert result.exit_code == 2
    assert "probability in [0, 1]" in result.output
