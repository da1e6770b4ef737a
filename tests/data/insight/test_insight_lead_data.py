"""Lead scoring on the Olist funnel, from arrival-time facts only."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.model_selection import train_test_split

from chanli.insight import score_leads, split_by_intent, train_lead_model
from chanli.insight.ml.lifecycle import load_lead_rows
from chanli.insight.ml.metrics import binary_metrics

pytestmark = [pytest.mark.data, pytest.mark.slow]


@pytest.fixture(scope="module")
def leads(shared_data: Path) -> list[dict[str, str]]:
    rows, provenance = load_lead_rows(shared_data / "olist_marketing_funnel")
    assert provenance.rows == 8000
    return rows


def test_lead_model_uses_only_what_is_known_when_the_lead_arrives(leads) -> None:
    assert set(leads[0]) == {"mql_id", "first_contact_date", "landing_page_id", "origin", "converted"}
    assert sum(r["converted"] == "1" for r in leads) == 842


def test_lead_model_ranks_unseen_leads_better_than_chance(leads) -> None:
    """Reached level (docs.md): AUC 0.70 on this hold-out (0.72 by 5-fold CV), 0.70 on the latest 20% by date."""
    labels = [r["converted"] for r in leads]
    fit, held = train_test_split(leads, test_size=0.2, stratify=labels, random_state=0)
    model = train_lead_model(fit)
    metrics = binary_metrics([int(r["converted"]) for r in held], model.predict_proba(held))
    assert metrics["auc"] >= 0.69


def test_lead_model_trained_on_the_past_ranks_the_latest_leads(leads) -> None:
    ordered = sorted(leads, key=lambda r: (r["first_contact_date"], r["mql_id"]))
    cut = int(0.8 * len(ordered))
    model = train_lead_model(ordered[:cut])
    metrics = binary_metrics([int(r["converted"]) for r in ordered[cut:]], model.predict_proba(ordered[cut:]))
    assert metrics["auc"] >= 0.68


def test_high_intent_queue_converts_more_often_than_the_automated_one(leads) -> None:
    labels = [r["converted"] for r in leads]
    fit, held = train_test_split(leads, test_size=0.2, stratify=labels, random_state=0)
    scores = score_leads(train_lead_model(fit), held)
    threshold = int(np.percentile([s.score for s in scores], 80))
    high, low = split_by_intent(scores, threshold)
    converted = {r["mql_id"] for r in held if r["converted"] == "1"}
    high_rate = sum(s.id in converted for s in high) / len(high)
    low_rate = sum(s.id in converted for s in low) / len(low)
    assert high_rate > 2 * low_rate
