"""Lead scoring rules: the funnel join, no post-outcome columns, intent split."""

from __future__ import annotations

import random

import pytest

from chanli.insight.ml.errors import InsightInputError
from chanli.insight.ml.leads import LeadScore, join_funnel, split_by_intent, train_lead_model
from chanli.insight.ml.tabular import TrainingSettings

FAST = TrainingSettings(rounds=40, learning_rate=0.1, min_data_in_leaf=10, folds=3)


def test_funnel_join_labels_converted_leads_and_keeps_only_lead_columns() -> None:
    leads = [
        {"mql_id": "a", "first_contact_date": "2018-01-02", "landing_page_id": "p1", "origin": "social"},
        {"mql_id": "b", "first_contact_date": "2018-01-03", "landing_page_id": "p2", "origin": "email"},
    ]
    closed = [{"mql_id": "b", "seller_id": "s", "won_date": "2018-02-01", "declared_monthly_revenue": "0"}]
    rows = join_funnel(leads, closed)
    assert rows == [
        {
            "mql_id": "a",
            "first_contact_date": "2018-01-02",
            "landing_page_id": "p1",
            "origin": "social",
            "converted": "0",
        },
        {
            "mql_id": "b",
            "first_contact_date": "2018-01-03",
            "landing_page_id": "p2",
            "origin": "email",
            "converted": "1",
        },
    ]


def test_closed_deals_for_unknown_leads_are_refused() -> None:
    leads = [{"mql_id": "a", "first_contact_date": "2018-01-02", "landing_page_id": "p1", "origin": "x"}]
    with pytest.raises(InsightInputError, match="1 closed deals name an mql_id that is not among the leads"):
        join_funnel(leads, [{"mql_id": "zz"}])


def lead_history(n: int = 200) -> list[dict[str, object]]:
    rng = random.Random(3)
    rows: list[dict[str, object]] = []
    for i in range(n):
        channel = rng.choice(["官网表单", "展会", "电话"])
        converted = rng.random() < (0.5 if channel == "展会" else 0.1)
        rows.append(
            {
                "lead_id": f"L{i}",
                "channel": channel,
                "industry": rng.choice(["制造", "零售"]),
                "received_on": f"2025-{1 + i % 12:02d}-0{1 + i % 9}",
                "converted": int(converted),
                "seller_id": f"S{i}",
                "won_date": "2025-12-01" if converted else "",
            }
        )
    return rows


def test_columns_known_only_after_the_outcome_never_become_features() -> None:
    model = train_lead_model(lead_history(), "converted", "lead_id", settings=FAST)
    assert [c.name for c in model.spec.columns] == ["channel", "industry", "received_on"]
    assert model.spec.dropped == (
        ("seller_id", "known only after the outcome (would leak the answer)"),
        ("won_date", "known only after the outcome (would leak the answer)"),
    )


def score(id: str, value: int) -> LeadScore:
    return LeadScore(id, value, value / 100, ())


def test_split_by_intent_sends_threshold_and_above_to_people_highest_first() -> None:
    high, low = split_by_intent([score("a", 12), score("b", 40), score("c", 25), score("d", 25)], 25)
    assert [s.id for s in high] == ["b", "c", "d"]
    assert [s.id for s in low] == ["a"]


def test_split_threshold_must_be_a_score() -> None:
    with pytest.raises(InsightInputError, match="between 0 and 100, got 101"):
        split_by_intent([], 101)
