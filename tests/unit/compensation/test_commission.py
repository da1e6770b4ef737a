"""Commission: marginal tiers over quota, rate on revenue, per-product rates, crediting (splits,
currency, collection, team roll-up) and the manager override."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from chanli.compensation import (
    CreditNote,
    ExchangeRate,
    OrderStatus,
    PaymentFact,
    Quota,
    Split,
    Tier,
)
from chanli.compensation.rules import tiered_amount

from .builders import OCT, SEED_TIERS, D, amounts, codes, order, person, plan, run

TIERED = plan({"id": "over_quota", "kind": "tiered_commission", "quota": "won_revenue", "tiers": SEED_TIERS})
QUOTA_1M = Quota(1, "won_revenue", D("1000000"))


def test_seed_tiers_pay_each_slice_at_its_own_rate():
    """Given quota ¥1,000,000 and credited revenue ¥1,250,000 with tiers 3% / 5% / 8%:

    | band (over quota) | slice      | rate | amount  |
    |-------------------|------------|------|---------|
    | 0–10%             | ¥100,000   | 3%   | ¥3,000  |
    | 10–20%            | ¥100,000   | 5%   | ¥5,000  |
    | above 20%         | ¥50,000    | 8%   | ¥4,000  |
    | total             |            |      | ¥12,000 |
    """
    result = run(TIERED, people=[person(1)], quotas=[QUOTA_1M], orders=[order(11, 1, "1250000")])
    (line,) = result.statements[0].lines
    assert line.amount == D("12000.00")
    assert "超额 0%–10% 段 ¥100,000.00 × 3%" in line.formula
    assert "超额 10%–20% 段 ¥100,000.00 × 5%" in line.formula
    assert "超额 20% 以上 段 ¥50,000.00 × 8%" in line.formula
    assert line.formula.endswith("= ¥12,000.00")
    assert line.sources == ("order:11",)
    assert line.attribution == ((11, D("12000.00")),)
    assert dict(line.inputs)["attainment"] == D("1.2500")


def test_tiers_apply_to_the_period_total_not_to_each_order():
    """Five orders of ¥250,000 (none over quota alone) total ¥1,250,000: still ¥12,000, and the
    amount is attributed to the orders pro rata (¥2,400 each)."""
    orders = [order(i, 1, "250000") for i in range(1, 6)]
    result = run(TIERED, people=[person(1)], quotas=[QUOTA_1M], orders=orders)
    (line,) = result.statements[0].lines
    assert line.amount == D("12000.00")
    assert line.attribution == tuple((i, D("2400.00")) for i in range(1, 6))


def test_revenue_at_or_below_quota_earns_no_over_quota_commission():
    result = run(TIERED, people=[person(1)], quotas=[QUOTA_1M], orders=[order(1, 1, "1000000")])
    assert amounts(result, "over_quota") == {1: D("0.00")}
    assert "未进入任何提成阶梯" in result.statements[0].lines[0].formula


def test_tier_band_edges_are_rounded_to_the_fen():
    """Quota ¥333.33: edges 100% ¥333.33, 110% ¥366.663 → ¥366.66, 120% ¥399.996 → ¥400.00 (R3).
    Revenue ¥400.00: slices ¥33.33 × 3% = 0.9999 and ¥33.34 × 5% = 1.667, nothing above 120%;
    2.6669 → ¥2.67 (R5, once per line)."""
    quota = Quota(1, "won_revenue", D("333.33"))
    result = run(TIERED, people=[person(1)], quotas=[quota], orders=[order(1, 1, "400.00")])
    (line,) = result.statements[0].lines
    assert line.amount == D("2.67")
    bands = [v for k, v in line.inputs if k.startswith("band")]
    assert bands == ["33.33 × 0.03", "33.34 × 0.05", "0.00 × 0.08"]


def test_a_person_without_quota_gets_no_line_and_an_error():
    result = run(TIERED, people=[person(1)], orders=[order(1, 1, "500000")])
    assert result.statements[0].lines == ()
    assert codes(result) == ["comp.no_quota"]


def test_rate_on_revenue_pays_the_rate_on_credited_revenue():
    """¥123,456.78 × 2.5% = ¥3,086.4195 → ¥3,086.42."""
    p = plan({"id": "rate", "kind": "revenue_rate", "rate": "2.5%"})
    result = run(p, people=[person(1)], orders=[order(1, 1, "123456.78")])
    assert amounts(result, "rate") == {1: D("3086.42")}


def test_per_product_rates_give_one_line_per_product_and_use_the_default_rate():
    """A: ¥100,000 × 5% = ¥5,000; B: ¥40,000 × 2% (default) = ¥800."""
    p = plan(
        {"id": "products", "kind": "product_rates", "rates": [{"product": "A", "rate": "5%"}], "default_rate": "2%"}
    )
    orders = [order(1, 1, "60000", product="A"), order(2, 1, "40000", product="A"), order(3, 1, "40000", product="B")]
    result = run(p, people=[person(1)], orders=orders)
    lines = result.statements[0].lines
    assert [(dict(ln.inputs)["product"], ln.amount) for ln in lines] == [("A", D("5000.00")), ("B", D("800.00"))]
    assert "默认费率" in lines[1].formula


def test_split_orders_credit_each_person_their_share_exactly():
    """¥100,000.01 split 50/50: the odd fen goes to the first split (allocate), so credits are
    ¥50,000.01 and ¥50,000.00 and at 10% the lines are ¥5,000.00 each."""
    p = plan({"id": "rate", "kind": "revenue_rate", "rate": "10%"})
    o = order(1, 1, "100000.01", splits=(Split(1, D("0.5")), Split(2, D("0.5"))))
    result = run(p, people=[person(1), person(2)], orders=[o])
    assert [dict(s.lines[0].inputs)["credited"] for s in result.statements] == [D("50000.01"), D("50000.00")]
    assert amounts(result, "rate") == {1: D("5000.00"), 2: D("5000.00")}


def test_splits_that_do_not_sum_to_one_are_not_credited_and_reported():
    p = plan({"id": "rate", "kind": "revenue_rate", "rate": "10%"})
    o = order(1, 1, "1000", splits=(Split(1, D("0.5")), Split(2, D("0.4"))))
    result = run(p, people=[person(1), person(2)], orders=[o])
    assert amounts(result, "rate") == {1: D("0.00"), 2: D("0.00")}
    assert codes(result) == ["comp.split_invalid"]


def test_foreign_currency_orders_are_converted_before_tiers():
    """USD 150,000 at 7.1 = ¥1,065,000; plus ¥185,000 in CNY = ¥1,250,000 → the seed ¥12,000."""
    orders = [order(1, 1, "150000", currency="USD"), order(2, 1, "185000")]
    rates = [ExchangeRate("USD", D("7.1"))]
    result = run(TIERED, people=[person(1)], quotas=[QUOTA_1M], orders=orders, exchange_rates=rates)
    assert amounts(result, "over_quota") == {1: D("12000.00")}


def test_a_missing_exchange_rate_leaves_the_order_uncredited_with_an_error():
    p = plan({"id": "rate", "kind": "revenue_rate", "rate": "10%"})
    result = run(p, people=[person(1)], orders=[order(1, 1, "100", currency="EUR"), order(2, 1, "100")])
    assert amounts(result, "rate") == {1: D("10.00")}
    assert codes(result) == ["comp.fx_missing"]


def test_converted_amounts_are_rounded_to_the_fen_per_order():
    """USD 0.07 × 7.1234 = ¥0.498638 → ¥0.50 (R1), then × 100% = ¥0.50."""
    p = plan({"id": "rate", "kind": "revenue_rate", "rate": "100%"})
    result = run(
        p,
        people=[person(1)],
        orders=[order(1, 1, "0.07", currency="USD")],
        exchange_rates=[ExchangeRate("USD", D("7.1234"))],
    )
    assert amounts(result, "rate") == {1: D("0.50")}


def test_collection_basis_credits_payments_received_in_the_period():
    """Order ¥100,000 signed in September; ¥30,000 received in October, ¥70,000 in November:
    at 10% on collection, October pays ¥3,000."""
    p = plan({"id": "cash", "kind": "revenue_rate", "rate": "10%", "crediting": {"basis": "collection"}})
    o = order(1, 1, "100000", signed=date(2026, 9, 20))
    pays = [PaymentFact(1, 1, D("30000"), date(2026, 10, 8)), PaymentFact(2, 1, D("70000"), date(2026, 11, 2))]
    result = run(p, people=[person(1)], orders=[o], payments=pays)
    assert amounts(result, "cash") == {1: D("3000.00")}
    assert result.statements[0].lines[0].sources == ("payment:1",)


def test_orders_cancelled_before_period_end_earn_nothing_and_credit_notes_reduce_credit():
    """Order 1 cancelled on 10-20 (same month): no credit. Order 2 ¥10,000 with a ¥2,500 credit
    note in October: credit ¥7,500 × 10% = ¥750."""
    p = plan({"id": "rate", "kind": "revenue_rate", "rate": "10%"})
    orders = [
        order(1, 1, "50000", status=OrderStatus.CANCELLED, status_on=date(2026, 10, 20)),
        order(2, 1, "10000"),
    ]
    result = run(p, people=[person(1)], orders=orders, credit_notes=[CreditNote(1, 2, D("2500"), date(2026, 10, 25))])
    assert amounts(result, "rate") == {1: D("750.00")}


def test_team_scope_rolls_reports_credit_up_to_the_manager():
    """Manager 1 (own ¥100,000) with reports 2 (¥300,000) and 3 under 2 (¥600,000): team credit
    ¥1,000,000 → attainment 100% of a ¥1,000,000 quota; with 1% rate on team credit ¥10,000."""
    p = plan(
        {"id": "team", "kind": "revenue_rate", "rate": "1%", "crediting": {"scope": "team"}},
        eligibility={"people": [1]},
    )
    people = [person(1), person(2, manager_id=1), person(3, manager_id=2)]
    orders = [order(1, 1, "100000"), order(2, 2, "300000"), order(3, 3, "600000")]
    result = run(p, people=people, orders=orders)
    assert amounts(result, "team") == {1: D("10000.00")}


def test_manager_override_pays_on_reports_credit_only():
    """Direct: reports 2 (¥300,000) → 2% = ¥6,000; subtree adds 3 (¥600,000) → ¥18,000."""
    people = [person(1), person(2, manager_id=1), person(3, manager_id=2)]
    orders = [order(1, 1, "100000"), order(2, 2, "300000"), order(3, 3, "600000")]
    direct = plan({"id": "mo", "kind": "manager_override", "rate": "2%", "depth": "direct"})
    subtree = plan({"id": "mo", "kind": "manager_override", "rate": "2%"})
    assert amounts(run(direct, people=people, orders=orders), "mo") == {1: D("6000.00"), 2: D("12000.00")}
    assert amounts(run(subtree, people=people, orders=orders), "mo") == {1: D("18000.00"), 2: D("12000.00")}


# --- properties ----------------------------------------------------------------------------

money_st = st.integers(min_value=0, max_value=10**10).map(lambda fen: Decimal(fen).scaleb(-2))
rate_st = st.integers(min_value=0, max_value=200_000).map(lambda ppm: Decimal(ppm).scaleb(-6))


@st.composite
def tier_sets(draw: st.DrawFn) -> tuple[Tier, ...]:
    n = draw(st.integers(min_value=1, max_value=4))
    edges = sorted(draw(st.lists(st.integers(0, 30_000), min_size=n + 1, max_size=n + 1, unique=True)))
    rates = draw(st.lists(rate_st, min_size=n, max_size=n))
    open_end = draw(st.booleans())
    tiers = []
    for i in range(n):
        upper = None if (open_end and i == n - 1) else Decimal(edges[i + 1]).scaleb(-4)
        tiers.append(Tier(Decimal(edges[i]).scaleb(-4), rates[i], upper))
    return tuple(tiers)


@settings(max_examples=200, deadline=None)
@given(tiers=tier_sets(), quota=money_st.filter(lambda q: q > 0), r1=money_st, r2=money_st)
def test_commission_never_decreases_when_revenue_grows(tiers, quota, r1, r2):
    low, high = sorted((r1, r2))
    assert tiered_amount(low, quota, tiers, "CNY") <= tiered_amount(high, quota, tiers, "CNY")


@settings(max_examples=200, deadline=None)
@given(tiers=tier_sets(), quota=money_st.filter(lambda q: q > 0), revenue=money_st)
def test_marginal_tiers_never_pay_more_than_the_top_rate_on_the_revenue_above_the_first_edge(tiers, quota, revenue):
    """Σ slice × rate ≤ top rate × (revenue − first edge): the one rounding (R5) is monotonic, so
    the rounded line is at most the rounded bound."""
    first_edge = (tiers[0].lower * quota).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    excess = max(revenue - first_edge, Decimal(0))
    top = max(t.rate for t in tiers)
    bound = (top * excess).quantize(Decimal("0.01"), rounding="ROUND_HALF_UP")
    assert tiered_amount(revenue, quota, tiers, "CNY") <= bound


def test_seed_plan_has_no_issues_on_clean_inputs():
    result = run(TIERED, period=OCT, people=[person(1)], quotas=[QUOTA_1M], orders=[order(1, 1, "1")])
    assert result.issues == ()
