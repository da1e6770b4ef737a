"""Pacing, SMART checks, monthly review and OKR roll-up."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from chanli.core.periods import FiscalCalendar
from chanli.targets.model import METRICS, KeyResult, Objective, OkrLayer, OwnerKind, OwnerRef, PaceStatus
from chanli.targets.rules import (
    customer_success_index,
    objective_progress,
    pace,
    propose_redistribution,
    reweight,
    smart_check,
)

D = Decimal


def test_half_way_through_the_month_with_half_the_target_is_on_track():
    p = pace(D("100000"), D("50000"), D("0.5"))
    assert p.expected_to_date == D("50000.0") and p.status is PaceStatus.ON_TRACK
    assert p.attainment == D("0.5") and p.projected_run_rate == D("100000")


def test_statuses_follow_the_ratio_to_expected_and_pipeline_can_rescue_at_risk():
    assert pace(D(100), D(60), D("0.5")).status is PaceStatus.AHEAD
    assert pace(D(100), D(42), D("0.5")).status is PaceStatus.BEHIND
    risky = pace(D(100), D(30), D("0.5"))
    assert risky.status is PaceStatus.AT_RISK and "only 60%" in risky.reason
    rescued = pace(D(100), D(30), D("0.5"), pipeline_weighted=D(75))
    assert rescued.status is PaceStatus.BEHIND and "pipeline" in rescued.reason


def test_lower_is_better_metrics_pace_inverted_and_rates_expect_the_full_target_at_once():
    cycle = pace(D(30), D(45), D("0.3"), higher_is_better=False, additive=False)
    assert cycle.expected_to_date == D(30) and cycle.status is PaceStatus.AT_RISK
    fast = pace(D(30), D(25), D("0.3"), higher_is_better=False, additive=False)
    assert fast.status is PaceStatus.AHEAD


@given(target=st.integers(1, 10**9), actual=st.integers(0, 10**9), elapsed=st.integers(0, 100))
def test_pacing_expected_never_exceeds_target_and_status_is_always_set(target: int, actual: int, elapsed: int) -> None:
    p = pace(D(target), D(actual), D(elapsed) / 100)
    assert 0 <= p.expected_to_date <= target
    assert p.status in PaceStatus


def test_smart_check_gives_actionable_reasons_with_numbers():
    period = FiscalCalendar().parse("2026-11")
    issues = smart_check(
        metric_code="won_revenue",
        metric=METRICS["won_revenue"],
        owner=OwnerRef(OwnerKind.PERSON, 3),
        period=period,
        value=D("900000"),
        has_data=True,
        run_rate=D("300000"),
        peer_median=D("400000"),
        linked=False,
    )
    codes = [i.code for i in issues]
    assert codes == ["smart.achievable", "smart.achievable", "smart.relevant"]
    assert "3.00× the trailing run-rate (300,000.00), above the 0.8×–1.5× band" in issues[0].message
    assert not issues.has_errors()
    bad = smart_check(
        metric_code="revenue!!",
        metric=None,
        owner=None,
        period=None,
        value=D(1),
        has_data=False,
        run_rate=None,
        peer_median=None,
        linked=True,
    )
    assert [i.code for i in bad.errors] == ["smart.specific", "smart.measurable", "smart.time_bound"]


def test_review_spreads_the_shortfall_over_remaining_months_keeping_the_year():
    targets = [D("100000.00")] * 4
    actuals = [D("80000.00"), D("90000.00"), None, None]
    new = propose_redistribution(targets, actuals, closed=2, quantum=D("0.01"))
    assert new == [D("100000.00"), D("100000.00"), D("115000.00"), D("115000.00")]
    # what was done plus what is still asked equals the year that was agreed
    assert actuals[0] + actuals[1] + new[2] + new[3] == sum(targets)
    surplus = propose_redistribution(targets, [D("400000"), D(0), None, None], closed=2, quantum=D("0.01"))
    assert surplus[2:] == [D("0.00"), D("0.00")]


def test_elastic_weights_emphasise_then_clip_to_hq_bounds_and_sum_to_one():
    weights = {"won_revenue": D("0.5"), "new_customers": D("0.3"), "renewal_rate": D("0.2")}
    promo, issues = reweight(
        weights, {"new_customers": D(2)}, {"new_customers": (D("0.1"), D("0.4")), "won_revenue": (D("0.3"), D("0.7"))}
    )
    assert promo["new_customers"] == D("0.4000")
    assert sum(promo.values()) == 1
    assert promo["won_revenue"] > promo["renewal_rate"]
    assert [i.code for i in issues] == ["weights.clipped"]


def test_okr_progress_rolls_up_three_layers_by_weight():
    strategic = Objective(1, OkrLayer.STRATEGIC, "年度千万")
    campaign = Objective(
        2,
        OkrLayer.CAMPAIGN,
        "华东攻坚",
        parent_id=1,
        weight=D(3),
        key_results=(KeyResult(1, 2, "新客户", D(0), D(20), D(10)),),
    )
    tactical = Objective(
        3,
        OkrLayer.TACTICAL,
        "每周拜访",
        parent_id=1,
        weight=D(1),
        key_results=(KeyResult(2, 3, "拜访", D(0), D(100), D(100)), KeyResult(3, 3, "周期缩短", D(60), D(40), D(50))),
    )
    progress = objective_progress([strategic, campaign, tactical])
    assert progress[2] == D("0.5000")
    assert progress[3] == D("0.7500")  # (1.0 + 0.5) / 2
    assert progress[1] == D("0.5625")  # (3 × 0.5 + 1 × 0.75) / 4


def test_customer_success_index_inverts_complaints_and_skips_unknowns():
    assert customer_success_index({"renewal_rate": D("0.9"), "satisfaction": D(80), "complaint_rate": D("0.1")}) == D(
        "86.0"
    )
    assert customer_success_index({"renewal_rate": None, "satisfaction": D(70)}) == D("70.0")
    assert customer_success_index({}) is None
