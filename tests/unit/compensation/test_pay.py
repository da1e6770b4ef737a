"""Base salary (prorated by calendar days) and the performance bonus (payout curve, cap,
collection gate and bands)."""

from __future__ import annotations

from datetime import date

import pytest

from chanli.compensation import CollectionRate, Quota

from .builders import NOV, OCT, Q4, D, amounts, codes, order, person, plan, run

BASE = plan({"id": "base", "kind": "base_salary"})


def test_a_full_month_pays_the_monthly_base():
    result = run(BASE, people=[person(1, base_salary="20000")])
    (line,) = result.statements[0].lines
    assert line.amount == D("20000.00")
    assert line.formula == "月薪 ¥20,000.00 × 1 个月 = ¥20,000.00"


def test_a_joiner_is_prorated_by_calendar_days_employed():
    """Hired 2026-10-17: employed 17th–31st = 15 of 31 days; ¥15,000 × 15/31 = ¥7,258.0645… → ¥7,258.06."""
    result = run(BASE, people=[person(1, base_salary="15000", hire_date=date(2026, 10, 17))])
    (line,) = result.statements[0].lines
    assert line.amount == D("7258.06")
    assert line.formula == "月薪 ¥15,000.00 × (2026-10 在职 15/31 天) = ¥7,258.06"


def test_a_leaver_is_paid_through_the_leave_date_inclusive():
    """Leave date 2026-10-10 is the last day worked: 10/31 × ¥20,000 = ¥6,451.6129… → ¥6,451.61."""
    result = run(BASE, people=[person(1, base_salary="20000", leave_date=date(2026, 10, 10))])
    assert amounts(result, "base") == {1: D("6451.61")}


def test_a_quarter_prorates_month_by_month():
    """Q4 with hire date 2026-11-16: Oct 0/31, Nov 15/30, Dec 31/31 → ¥10,000 × 1.5 = ¥15,000.00."""
    result = run(BASE, period=Q4, people=[person(1, base_salary="10000", hire_date=date(2026, 11, 16))])
    assert amounts(result, "base") == {1: D("15000.00")}


def test_people_not_employed_in_the_period_get_no_statement():
    result = run(BASE, people=[person(1, base_salary="10000", leave_date=date(2026, 9, 30))])
    assert result.statements == ()


def test_a_plan_may_set_base_by_tier():
    p = plan({"id": "base", "kind": "base_salary", "monthly_by_tier": [{"tier": "new", "amount": 8000}]})
    result = run(p, period=NOV, people=[person(1, tier="new", base_salary="1"), person(2, base_salary="12000")])
    assert amounts(result, "base") == {1: D("8000.00"), 2: D("12000.00")}


# --- performance bonus ----------------------------------------------------------------------

CURVE = [
    {"attainment": "60%", "payout": "60%"},
    {"attainment": "100%", "payout": "100%"},
    {"attainment": "150%", "payout": "150%"},
]


def bonus_plan(**extra: object) -> object:
    spec = {"id": "bonus", "kind": "performance_bonus", "quota": "won_revenue", "target_bonus": 30000, "curve": CURVE}
    spec.update(extra)
    return plan(spec)


def bonus_for(revenue: str, the_plan: object = None, rate: str | None = None) -> tuple[object, object]:
    rates = [CollectionRate(1, D(rate))] if rate is not None else []
    result = run(
        the_plan or bonus_plan(),
        people=[person(1)],
        quotas=[Quota(1, "won_revenue", D("1000000"))],
        orders=[order(1, 1, revenue)],
        collection_rates=rates,
    )
    return result, (result.statements[0].lines[0] if result.statements[0].lines else None)


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [
        ("590000", "0.00"),  # 59% is below the first point (the floor): nothing
        ("600000", "18000.00"),  # 60% → 60% × ¥30,000
        ("800000", "24000.00"),  # 80%: halfway from 60→100 → 80%
        ("1250000", "37500.00"),  # 125% → 125%
        ("2000000", "45000.00"),  # beyond the last point the curve is flat at 150%
    ],
)
def test_bonus_follows_the_piecewise_linear_payout_curve(revenue, expected):
    _, line = bonus_for(revenue)
    assert line.amount == D(expected)


def test_bonus_payout_factor_is_capped():
    """Attainment 150% would pay 150%, the cap is 140%: ¥30,000 × 140% = ¥42,000."""
    _, line = bonus_for("1500000", bonus_plan(cap="140%"))
    assert line.amount == D("42000.00")
    assert dict(line.inputs)["payout_factor"] == D("1.4000")


def test_attainment_is_rounded_to_a_hundredth_of_a_percent_before_the_curve():
    """¥876,543.21 ÷ ¥1,000,000 = 87.654321% → 87.65% (R4); factor 0.6 + 0.4 × 0.2765/0.4 =
    87.65%; ¥30,000 × 0.8765 = ¥26,295.00. The statement's figures multiply out to its amount."""
    _, line = bonus_for("876543.21")
    assert line.amount == D("26295.00")
    assert "达成率 87.65% 对应系数 87.65%" in line.formula


def test_collection_bands_multiply_the_bonus():
    """Attainment 125% (¥37,500) with 回款率 75% in the 60–90% band at 80%: ¥30,000."""
    bands = [
        {"lower": "0%", "upper": "60%", "factor": "0"},
        {"lower": "60%", "upper": "90%", "factor": "80%"},
        {"lower": "90%", "factor": "100%"},
    ]
    _, line = bonus_for("1250000", bonus_plan(collection_bands=bands), rate="0.75")
    assert line.amount == D("30000.00")
    assert "回款率 75.00%（60%–90% 段）回款系数 80%" in line.formula


def test_collection_gate_withholds_the_bonus_below_the_gate():
    _, below = bonus_for("1250000", bonus_plan(collection_gate="80%"), rate="0.79")
    _, at = bonus_for("1250000", bonus_plan(collection_gate="80%"), rate="0.80")
    assert below.amount == D("0.00")
    assert "低于门槛 80%" in below.formula
    assert at.amount == D("37500.00")


def test_a_bonus_needing_a_collection_rate_without_one_is_an_error():
    result, line = bonus_for("1250000", bonus_plan(collection_gate="80%"))
    assert line is None
    assert codes(result) == ["comp.no_collection_rate"]


def test_target_bonus_by_tier_wins_over_the_plain_target():
    p = bonus_plan(target_bonus_by_tier=[{"tier": "core", "amount": 10000}])
    _, line = bonus_for("1000000", p)
    assert line.amount == D("10000.00")


def test_bonus_without_a_quota_for_the_person_is_an_error_not_a_zero():
    result = run(bonus_plan(), period=OCT, people=[person(1)], orders=[order(1, 1, "100")])
    assert result.statements[0].lines == ()
    assert codes(result) == ["comp.no_quota"]
