"""Forecast rules on a hand-made pipeline: exact Decimal amounts, no look-ahead."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chanli.core.periods import FiscalCalendar
from chanli.insight.ml.errors import InsightInputError
from chanli.insight.ml.forecast import (
    Opportunity,
    backtest,
    history_forecast,
    learn_history,
    open_as_of,
    opportunities_from_rows,
    pipeline_weighted_forecast,
    won_in,
)

Q2 = FiscalCalendar().quarter(2025, 2)  # 2025-04-01 → 2025-07-01
Q1 = FiscalCalendar().quarter(2025, 1)


def deal(
    id: str,
    owner: str,
    stage: str,
    engaged: date | None,
    closed: date | None = None,
    value: str | None = None,
    listed: str = "1000",
) -> Opportunity:
    return Opportunity(id, owner, stage, engaged, closed, Decimal(value) if value else None, Decimal(listed))


PIPELINE = [
    deal("w1", "li", "Won", date(2025, 1, 5), date(2025, 2, 4), "900"),
    deal("w2", "li", "Won", date(2025, 1, 10), date(2025, 3, 1), "1100"),
    deal("l1", "li", "Lost", date(2025, 1, 20), date(2025, 2, 19)),
    deal("w3", "wang", "Won", date(2025, 2, 1), date(2025, 3, 3), "1000"),
    deal("o1", "li", "Engaging", date(2025, 3, 15), listed="2000"),
    deal("o2", "wang", "Won", date(2025, 3, 20), date(2025, 4, 19), "1500", listed="1500"),
    deal("p1", "wang", "Prospecting", None),
]


def test_pipeline_as_of_a_day_holds_deals_engaged_before_it_and_not_yet_closed() -> None:
    assert [o.id for o in open_as_of(PIPELINE, date(2025, 4, 1))] == ["o1", "o2"]
    assert [o.id for o in open_as_of(PIPELINE, date(2025, 2, 10))] == ["w2", "l1", "w3"]


def test_won_in_sums_close_value_per_owner_inside_the_half_open_period() -> None:
    assert won_in(PIPELINE, Q1) == {"li": Decimal("2000.00"), "wang": Decimal("1000.00")}
    assert won_in(PIPELINE, Q2) == {"wang": Decimal("1500.00")}


def test_pipeline_weighted_is_amount_times_stage_probability_in_decimal() -> None:
    pipeline = open_as_of(PIPELINE, date(2025, 4, 1))
    forecast = pipeline_weighted_forecast(pipeline, {}, {"Engaging": 0.5, "Won": 0.3})
    assert forecast == {"li": Decimal("1000.00"), "wang": Decimal("450.00")}
    assert all(isinstance(v, Decimal) for v in forecast.values())


def test_pipeline_weighted_refuses_a_stage_without_probability() -> None:
    with pytest.raises(InsightInputError, match="no probability for stage 'Engaging'; stages configured: Won"):
        pipeline_weighted_forecast(PIPELINE[4:5], {}, {"Won": 0.3})


def test_history_is_learned_only_from_deals_closed_before_the_as_of_date() -> None:
    rates = learn_history(PIPELINE, date(2025, 4, 1), Q1)
    assert rates.closed_deals == 4
    assert rates.team_win_rate == 0.75
    # li: 2 won of 3, shrunk toward 0.75 with 10 pseudo-deals
    assert rates.owner_win_rate["li"] == pytest.approx((2 + 7.5) / 13)
    assert rates.value_ratio == Decimal("1")  # 3000 won on 3000 listed
    assert rates.new_business == {"li": Decimal("2000"), "wang": Decimal("1000")}
    future = [*PIPELINE, deal("f1", "li", "Lost", date(2025, 1, 1), date(2025, 5, 1))]
    assert learn_history(future, date(2025, 4, 1), Q1).team_win_rate == 0.75


def test_history_forecast_adds_pipeline_expectation_and_new_business_run_rate() -> None:
    rates = learn_history(PIPELINE, date(2025, 4, 1), Q1)
    forecast = history_forecast(open_as_of(PIPELINE, date(2025, 4, 1)), rates, Q2)
    # every historical deal closed within 60 days, so open deals close within the quarter
    li_win = round((2 + 7.5) / 13, 6)
    assert forecast["li"] == (Decimal("2000") * Decimal(str(li_win)) + Decimal("2000")).quantize(Decimal("0.01"))
    assert forecast["wang"] > Decimal("1000")


def test_history_needs_at_least_one_closed_deal() -> None:
    with pytest.raises(InsightInputError, match="no deal closed before 2025-01-01"):
        learn_history(PIPELINE, date(2025, 1, 1))


def test_products_match_despite_spacing_quirk_and_unknown_products_are_named() -> None:
    pipeline = [
        {
            "opportunity_id": "A",
            "sales_agent": "li",
            "product": "GTXPro",
            "deal_stage": "Engaging",
            "engage_date": "2017-01-02",
            "close_date": "",
            "close_value": "",
        },
    ]
    products = [{"product": "GTX Pro", "sales_price": "4821"}]
    [opportunity] = opportunities_from_rows(pipeline, products)
    assert opportunity.list_value == Decimal("4821")
    assert opportunity.closed_on is None and opportunity.close_value is None
    with pytest.raises(InsightInputError, match="products without a sales_price: GTXPro; products found: MG Special"):
        opportunities_from_rows(pipeline, [{"product": "MG Special", "sales_price": "55"}])


def test_backtest_replays_every_quarter_after_the_first_engagement() -> None:
    result = backtest(PIPELINE)
    assert [q.period for q in result.quarters] == ["2025-Q2"]
    assert result.skipped == ()
    quarter = result.quarters[0]
    assert quarter.actual == Decimal("1500.00")
    assert quarter.forecasts["last_quarter"] == Decimal("3000.00")
    assert quarter.errors["last_quarter"] == 1.0
    assert result.mape["last_quarter"] == 1.0
    assert set(result.as_dict()["methods"]) == {"pipeline_weighted", "history_based", "last_quarter"}


def test_quarters_without_closed_history_are_skipped_with_the_reason() -> None:
    early = [deal("e1", "li", "Engaging", date(2024, 12, 20)), *PIPELINE]
    result = backtest(early)
    assert [q.period for q in result.quarters] == ["2025-Q2"]
    assert result.skipped == (
        "2025-Q1: no deal closed before 2025-01-01: nothing to learn a history-based forecast from",
    )
