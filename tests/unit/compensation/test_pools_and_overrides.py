"""Pools (CLV dividend, iron triangle), mentor and dual-assessment overrides, caps, floors, draws."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chanli.compensation import ClvFact, DeliveryScore, Draw, Mentorship, ProjectMember, Quota

from .builders import D, amounts, codes, order, person, plan, run

# --- CLV dividend pool ------------------------------------------------------------------------

CLV = plan({"id": "clv", "kind": "clv_pool", "rate": "3%"})


def test_clv_pool_is_rate_times_renewal_revenue_split_by_retained_value():
    """Renewal revenue ¥200,000 + ¥100,000 + ¥33,333.33 (a non-participant's) = ¥333,333.33;
    × 3% = ¥9,999.9999 → pool ¥10,000.00 (R6). Retained value 2 : 1 : 1 among participants
    → ¥5,000.00, ¥2,500.00, ¥2,500.00."""
    facts = [
        ClvFact(1, D("200000"), D("400000")),
        ClvFact(2, D("100000"), D("200000")),
        ClvFact(3, D("33333.33"), D("0")),
        ClvFact(4, D("0"), D("200000")),
        ClvFact(99, D("0"), D("999999")),  # not in the run: no share
    ]
    result = run(CLV, people=[person(i) for i in (1, 2, 3, 4)], clv=facts)
    assert amounts(result, "clv") == {1: D("5000.00"), 2: D("2500.00"), 4: D("2500.00")}


def test_clv_pool_shares_sum_exactly_to_the_pool_with_the_odd_fen_to_the_largest_remainder():
    """Pool ¥100.00 over equal retained values 1 : 1 : 1 → ¥33.34 + ¥33.33 + ¥33.33."""
    p = plan({"id": "clv", "kind": "clv_pool", "rate": "100%"})
    facts = [ClvFact(1, D("100"), D("1")), ClvFact(2, D("0"), D("1")), ClvFact(3, D("0"), D("1"))]
    result = run(p, people=[person(i) for i in (1, 2, 3)], clv=facts)
    assert amounts(result, "clv") == {1: D("33.34"), 2: D("33.33"), 3: D("33.33")}


@settings(max_examples=100, deadline=None)
@given(
    renewal=st.integers(0, 10**9).map(lambda f: Decimal(f).scaleb(-2)),
    retained=st.lists(st.integers(1, 10**8), min_size=1, max_size=8),
)
def test_clv_pool_shares_always_sum_to_the_pool(renewal, retained):
    facts = [ClvFact(i, renewal if i == 0 else D(0), D(v)) for i, v in enumerate(retained)]
    result = run(CLV, people=[person(i) for i in range(len(retained))], clv=facts)
    pool = (renewal * D("0.03")).quantize(D("0.01"), rounding="ROUND_HALF_UP")
    assert sum(amounts(result, "clv").values(), D(0)) == (pool if pool > 0 else D(0))


# --- iron triangle team pool --------------------------------------------------------------------

TEAM_POOL = plan({"id": "triangle", "kind": "team_pool", "rate": "2%"})


def test_iron_triangle_pool_is_split_by_role_weight_and_shared_within_a_role():
    """Project ¥500,000 × 2% = ¥10,000 pool. Sales 50% → ¥5,000; two solution members share
    30% → ¥1,500 each; service 20% → ¥2,000."""
    members = (
        ProjectMember(1, "sales"),
        ProjectMember(2, "solution"),
        ProjectMember(3, "solution"),
        ProjectMember(4, "service"),
    )
    result = run(TEAM_POOL, people=[person(i) for i in (1, 2, 3, 4)], orders=[order(1, 1, "500000", members=members)])
    assert amounts(result, "triangle") == {1: D("5000.00"), 2: D("1500.00"), 3: D("1500.00"), 4: D("2000.00")}
    assert result.statement(2).lines[0].attribution == ((1, D("1500.00")),)


def test_a_missing_role_leaves_its_weight_to_the_roles_present():
    """No service member: ¥10,000 splits 50 : 30 → ¥6,250 and ¥3,750."""
    members = (ProjectMember(1, "sales"), ProjectMember(2, "solution"))
    result = run(TEAM_POOL, people=[person(1), person(2)], orders=[order(1, 1, "500000", members=members)])
    assert amounts(result, "triangle") == {1: D("6250.00"), 2: D("3750.00")}


def test_a_member_outside_the_plan_is_reported_not_paid():
    members = (ProjectMember(1, "sales"), ProjectMember(7, "service"))
    result = run(TEAM_POOL, people=[person(1)], orders=[order(1, 1, "500000", members=members)])
    assert amounts(result, "triangle") == {1: D("7142.86")}  # ¥10,000 × 50/70
    assert codes(result) == ["comp.pool_share_unpaid"]


# --- mentor override ------------------------------------------------------------------------------

MENTOR = plan(
    {"id": "commission", "kind": "revenue_rate", "rate": "10%"},
    {"id": "mentor", "kind": "mentor_override", "of": ["commission"]},
)


def test_mentor_gets_the_agreed_share_of_the_apprentices_commission_prorated_by_days():
    """Apprentice 2 earns ¥100,000 × 10% = ¥10,000. Agreement from 2026-10-11 at 8%: 21 of 31
    days → ¥10,000 × 8% × 21/31 = ¥541.935… → ¥541.94. The apprentice still gets ¥10,000."""
    result = run(
        MENTOR,
        people=[person(1), person(2)],
        orders=[order(1, 2, "100000")],
        mentorships=[Mentorship(1, 2, date(2026, 10, 11), None, D("0.08"))],
    )
    assert amounts(result, "mentor") == {1: D("541.94")}
    assert amounts(result, "commission") == {1: D("0.00"), 2: D("10000.00")}
    assert "× 协议期内 21/31 天" in result.statement(1).by_component("mentor")[0].formula


def test_mentor_agreements_outside_the_period_pay_nothing():
    ended = Mentorship(1, 2, date(2026, 4, 1), date(2026, 10, 1), D("0.08"))  # ends as October starts
    result = run(MENTOR, people=[person(1), person(2)], orders=[order(1, 2, "100000")], mentorships=[ended])
    assert amounts(result, "mentor") == {}


def test_an_agreement_rate_outside_five_to_ten_percent_is_refused():
    bad = Mentorship(1, 2, date(2026, 1, 1), None, D("0.12"))
    result = run(MENTOR, people=[person(1), person(2)], orders=[order(1, 2, "100000")], mentorships=[bad])
    assert amounts(result, "mentor") == {}
    assert codes(result) == ["comp.mentor_rate"]


# --- performance + delivery dual assessment -------------------------------------------------------

DUAL = plan(
    {"id": "commission", "kind": "revenue_rate", "rate": "1%"},
    {
        "id": "dual",
        "kind": "dual_assessment",
        "applies_to": ["commission"],
        "quota": "won_revenue",
        "delivery_weight": "40%",
    },
)


def test_dual_assessment_multiplies_by_sales_and_delivery_scores():
    """Sales: attainment 110% → 110. Delivery: satisfaction 90 × 50% + complaints (2% of a 10%
    ceiling → 80) × 30% + cycle (45 days between 30 and 90 → 75) × 20% = 84.
    Composite 110 × 60% + 84 × 40% = 99.6 → multiplier 0.996; commission ¥11,000 × (0.996 − 1) = −¥44.00."""
    result = run(
        DUAL,
        people=[person(1)],
        quotas=[Quota(1, "won_revenue", D("1000000"))],
        orders=[order(1, 1, "1100000")],
        delivery_scores=[DeliveryScore(1, D("90"), D("0.02"), D("45"))],
    )
    (line,) = result.statement(1).by_component("dual")
    assert line.amount == D("-44.00")
    assert dict(line.inputs)["multiplier"] == D("0.9960")
    assert result.statement(1).total == D("10956.00")


def test_dual_assessment_without_a_delivery_score_is_an_error():
    result = run(DUAL, people=[person(1)], quotas=[Quota(1, "won_revenue", D("1"))], orders=[order(1, 1, "1")])
    assert codes(result) == ["comp.no_delivery_score"]


# --- caps, floors and draws -----------------------------------------------------------------------


def capped(kind: str, amount: int) -> object:
    return plan(
        {"id": "commission", "kind": "revenue_rate", "rate": "10%"},
        {"id": kind, "kind": kind, "applies_to": ["commission"], "amount": amount},
    )


def test_a_cap_adds_a_negative_line_down_to_the_cap():
    """¥600,000 × 10% = ¥60,000 against a ¥50,000 cap: a −¥10,000 line, total ¥50,000."""
    result = run(capped("cap", 50000), people=[person(1)], orders=[order(1, 1, "600000")])
    assert amounts(result, "cap") == {1: D("-10000.00")}
    assert result.statement(1).total == D("50000.00")


def test_a_floor_tops_up_to_the_guaranteed_amount():
    result = run(capped("floor", 3000), people=[person(1)], orders=[order(1, 1, "10000")])
    assert amounts(result, "floor") == {1: D("2000.00")}
    assert result.statement(1).total == D("3000.00")


DRAW = plan(
    {"id": "commission", "kind": "revenue_rate", "rate": "10%"},
    {"id": "draw", "kind": "draw", "applies_to": ["commission"], "recovery_share": "50%"},
)


def draw_line(revenue: str, draw: Draw) -> object:
    result = run(DRAW, people=[person(1)], orders=[order(1, 1, revenue)], draws=[draw])
    lines = result.statement(1).by_component("draw")
    return lines[0] if lines else None


def test_a_recoverable_draw_tops_up_and_grows_the_balance():
    """Earned ¥2,000 against a ¥5,000 draw: +¥3,000, balance 0 → ¥3,000."""
    line = draw_line("20000", Draw(1, D("5000"), True, date(2026, 1, 1)))
    assert line.amount == D("3000.00")
    assert dict(line.inputs)["balance_after"] == D("3000.00")


def test_a_recoverable_draw_is_recovered_from_earnings_above_it():
    """Earned ¥9,000 against ¥5,000 with balance ¥3,000: recover 50% × ¥4,000 = ¥2,000 → balance ¥1,000."""
    line = draw_line("90000", Draw(1, D("5000"), True, date(2026, 1, 1), outstanding=D("3000")))
    assert line.amount == D("-2000.00")
    assert dict(line.inputs)["balance_after"] == D("1000.00")


def test_a_non_recoverable_draw_is_forgiven():
    line = draw_line("20000", Draw(1, D("5000"), False, date(2026, 1, 1)))
    assert line.amount == D("3000.00")
    assert dict(line.inputs)["balance_after"] == D("0.00")


def test_a_balance_is_still_recovered_after_the_draw_ended():
    """Ended 2026-10-01, balance ¥1,000, earned ¥9,000: recover min(¥1,000, 50% × ¥9,000) = ¥1,000."""
    line = draw_line("90000", Draw(1, D("5000"), True, date(2026, 1, 1), date(2026, 10, 1), outstanding=D("1000")))
    assert line.amount == D("-1000.00")
