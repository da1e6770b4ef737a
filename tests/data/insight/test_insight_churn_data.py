"""Churn risk on the IBM Telco development rows: trained on one part, judged on rows it never saw."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import StratifiedKFold, train_test_split
from typer.testing import CliRunner

from chanli.cli.models import app
from chanli.insight import train_tabular
from chanli.insight.ml.datafiles import read_csv_rows
from chanli.insight.ml.metrics import binary_metrics

pytestmark = [pytest.mark.data, pytest.mark.slow]
TELCO = "telco_churn/WA_Fn-UseC_-Telco-Customer-Churn.dev70.csv"


def _write(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def telco(shared_data: Path) -> tuple[tuple[str, ...], list[dict[str, str]]]:
    file = read_csv_rows(shared_data / TELCO)
    return file.columns, file.rows


def test_churn_model_reaches_auc_085_on_unseen_telco_rows(telco, tmp_path: Path) -> None:
    """Goal from issue 6, through the CLI: 25% stratified hold-out (seed 0), trained on the rest."""
    columns, rows = telco
    train_rows, test_rows = train_test_split(rows, test_size=0.25, stratify=[r["Churn"] for r in rows], random_state=0)
    train_file = _write(tmp_path / "train.csv", columns, train_rows)
    test_file = _write(tmp_path / "test.csv", columns, test_rows)
    runner = CliRunner()
    trained = runner.invoke(app, ["train", "churn", "--data", str(train_file), "--out", str(tmp_path / "m")])
    assert trained.exit_code == 0, trained.output
    result = runner.invoke(
        app, ["evaluate", "churn", "--model", str(tmp_path / "m"), "--data", str(test_file), "--json"]
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["n"] == len(test_rows) == 1233
    assert metrics["auc"] >= 0.85
    assert metrics["brier"] <= 0.14


def test_churn_auc_stays_near_085_on_every_fold_of_the_telco_rows(telco) -> None:
    """Robustness: each row unseen once (5 folds). The goal sits at this data's ceiling, so the
    mean is held to 0.84 and no fold may fall below 0.82 (docs.md lists each fold)."""
    _, rows = telco
    labels = np.array([r["Churn"] == "Yes" for r in rows], dtype=int)
    aucs = []
    for fit, held in StratifiedKFold(5, shuffle=True, random_state=0).split(rows, labels):
        model = train_tabular([rows[i] for i in fit], "Churn", "customerID")
        aucs.append(binary_metrics(labels[held], model.predict_proba([rows[i] for i in held]))["auc"])
    assert np.mean(aucs) >= 0.84
    assert min(aucs) >= 0.82


def test_blank_total_charges_are_reported_and_reasons_are_readable(telco) -> None:
    _, rows = telco
    model = train_tabular(rows, "Churn", "customerID")
    assert [str(r).split(";")[0] for r in model.value_reports] == [
        "TotalCharges: 6 blank/malformed values imputed as missing [6 blank, 0 malformed, e.g. ' ']"
    ]
    month_to_month = next(r for r in rows if r["Contract"] == "Month-to-month" and r["tenure"] == "1")
    [prediction] = model.predict([month_to_month])
    assert prediction.id == month_to_month["customerID"]
    assert prediction.probability > 0.5
    assert any(str(r).startswith("Contract=Month-to-month (+") for r in prediction.reasons)
