"""The tabular trainer on small synthetic account histories: calibrated, explained, repeatable."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from chanli.insight.ml.errors import InsightInputError
from chanli.insight.ml.tabular import Reason, TrainingSettings, train_tabular

FAST = TrainingSettings(rounds=60, learning_rate=0.1, min_data_in_leaf=10, folds=3)


def account_history(n: int = 300, seed: int = 7) -> list[dict[str, object]]:
    """Accounts whose churn is driven by contract type and complaints; region is noise."""
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for i in range(n):
        contract = rng.choice(["月付", "年付"])
        complaints = rng.randint(0, 4)
        churn_chance = 0.05 + (0.5 if contract == "月付" else 0.0) + 0.1 * complaints
        rows.append(
            {
                "account_id": f"A{i:04d}",
                "contract": contract,
                "complaints": complaints,
                "region": rng.choice(["华东", "华南", "华北"]),
                "satisfaction": None if i % 25 == 0 else rng.randint(1, 5),
                "churned": "Yes" if rng.random() < churn_chance else "No",
            }
        )
    return rows


def test_predictions_carry_probability_and_top_reasons_in_readable_form() -> None:
    rows = account_history()
    model = train_tabular(rows, "churned", "account_id", settings=FAST)
    prediction = model.predict([rows[0]], top=2)[0]
    assert prediction.id == "A0000"
    assert 0.0 < prediction.probability < 1.0
    assert 1 <= len(prediction.reasons) <= 2
    first = prediction.reasons[0]
    assert first.feature in {"contract", "complaints"}
    assert str(first) == f"{first.feature}={first.value} ({first.contribution:+.2f})"


def test_the_driving_feature_is_the_top_reason_for_month_to_month_accounts() -> None:
    rows = account_history()
    model = train_tabular(rows, "churned", "account_id", settings=FAST)
    monthly = [r for r in rows if r["contract"] == "月付"][:20]
    top = [p.reasons[0] for p in model.predict(monthly)]
    assert Counter(r.feature for r in top).most_common(1)[0][0] == "contract"
    assert all(r.value == "月付" and r.contribution > 0 for r in top if r.feature == "contract")


def test_monthly_contracts_score_riskier_than_yearly_ones() -> None:
    rows = account_history()
    model = train_tabular(rows, "churned", "account_id", settings=FAST)
    base = {"account_id": "X", "complaints": 1, "region": "华东", "satisfaction": 3}
    monthly, yearly = model.predict_proba([{**base, "contract": "月付"}, {**base, "contract": "年付"}])
    assert monthly > yearly + 0.2


def test_training_twice_gives_identical_probabilities() -> None:
    rows = account_history()
    first = train_tabular(rows, "churned", "account_id", settings=FAST).predict_proba(rows)
    second = train_tabular(rows, "churned", "account_id", settings=FAST).predict_proba(rows)
    assert first.tolist() == second.tolist()


def test_validation_metrics_are_out_of_fold_on_every_row() -> None:
    rows = account_history()
    model = train_tabular(rows, "churned", "account_id", settings=FAST)
    assert model.validation["n"] == 300
    assert model.validation["folds"] == 3
    assert 0.5 < model.validation["auc"] <= 1.0
    assert model.value_reports[0].column == "satisfaction"
    assert model.value_reports[0].blank == 12


def test_rows_without_an_id_column_are_numbered() -> None:
    rows = [{k: v for k, v in r.items() if k != "account_id"} for r in account_history()]
    model = train_tabular(rows, "churned", None, settings=FAST)
    assert [p.id for p in model.predict(rows[:3])] == ["1", "2", "3"]


def test_too_few_rows_are_refused() -> None:
    with pytest.raises(InsightInputError, match="need at least 20 rows to train, got 5"):
        train_tabular(account_history(5), "churned", "account_id")


def test_reason_text_shows_sign_and_two_decimals() -> None:
    assert str(Reason("Contract", "Month-to-month", 0.2149)) == "Contract=Month-to-month (+0.21)"
    assert str(Reason("tenure", "48", -0.5)) == "tenure=48 (-0.50)"
