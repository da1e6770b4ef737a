"""Decomposition: "annual 10M" becomes exact quarter, month and rep targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chanli.core.periods import FiscalCalendar, Grain
from chanli.targets.model import METRICS, DecompositionMethod, OwnerKind, OwnerRef, OwnerSpec
from chanli.targets.rules import capacity_weight, decompose, owner_weights, period_weights, split

CAL = FiscalCalendar()
YEAR = CAL.parse("2027")
MONTHS = CAL.children(YEAR, Grain.MONTH)
COMPANY = OwnerRef(OwnerKind.COMPANY, None)


def rep(i: int, tier: str = "core", hired: date = date(2020, 1, 1), last_year: str = "0") -> OwnerSpec:
    return OwnerSpec(OwnerRef(OwnerKind.PERSON, i), f"rep{i}", tier, hired, 1, Decimal(last_year))


def test_ten_million_split_equally_over_months_is_exact_to_the_fen():
    weights, notes = period_weights(MONTHS, DecompositionMethod.EQUAL)
    d = decompose(METRICS["won_revenue"], Decimal("10000000"), COMPANY, MONTHS, weights, [], [])
    assert d.cells[COMPANY][0] == Decimal("833333.34")
    assert d.cells[COMPANY][-1] == Decimal("833333.33")
    assert d.total(COMPANY) == Decimal("10000000.00") and notes == []


def test_count_metrics_split_into_whole_customers():
    reps = [rep(i) for i in range(7)]
    w, _ = owner_weights(reps, DecompositionMethod.EQUAL, as_of=date(2027, 1, 1))
    d = decompose(METRICS["new_customers"], Decimal(20), COMPANY, [CAL.parse("2027-01")], [Decimal(1)], reps, w)
    values = [d.cells[r.owner][0] for r in reps]
    assert values == [3, 3, 3, 3, 3, 3, 2]
    assert all(v == v.to_integral_value() for v in values)


def test_capacity_weights_follow_tier_and_ramp_new_hires():
    as_of = date(2027, 1, 1)
    assert capacity_weight(rep(1, "elite"), as_of) == Decimal("1.4")
    assert capacity_weight(rep(2, "new"), as_of) == Decimal("0.6")
    three_months_in = capacity_weight(rep(3, "new", hired=date(2026, 10, 1)), as_of)
    assert three_months_in == Decimal("0.6") * (Decimal("0.3") + Decimal("0.7") * 3 / 6)
    assert capacity_weight(rep(4, "core", hired=date(2027, 3, 1)), as_of) == Decimal("0.3")


def test_last_year_share_gives_newcomers_a_capacity_scaled_average_not_zero():
    reps = [rep(1, last_year="600000"), rep(2, last_year="400000"), rep(3, "new", hired=date(2026, 12, 1))]
    w, notes = owner_weights(reps, DecompositionMethod.LAST_YEAR, as_of=date(2027, 1, 1))
    assert w[0] == Decimal("600000") and w[1] == Decimal("400000")
    assert 0 < w[2] < Decimal("400000")
    assert [n.code for n in notes] == ["decompose.new_owner"]


def test_seasonal_split_follows_last_years_months_and_falls_back_when_history_is_thin():
    history = {date(2026, m, 1): Decimal(200 if m == 12 else 100) for m in range(1, 13)}
    w, notes = period_weights(MONTHS, DecompositionMethod.SEASONAL, history=history)
    assert notes == [] and w[11] == 2 * w[0]
    d = decompose(METRICS["won_revenue"], Decimal("1300000"), COMPANY, MONTHS, w, [], [])
    assert d.cells[COMPANY][11] == Decimal("200000.00") and d.cells[COMPANY][0] == Decimal("100000.00")
    thin = {date(2026, m, 1): Decimal(100) for m in range(10, 13)}
    w2, notes2 = period_weights(MONTHS, DecompositionMethod.SEASONAL, history=thin)
    assert w2 == [Decimal(1)] * 12 and notes2[0].code == "decompose.thin_history"


def test_working_day_split_gives_golden_week_october_less():
    holidays = {date(2027, 10, d) for d in range(1, 8)} | {date(2027, 2, d) for d in range(8, 15)}
    w, _ = period_weights(
        MONTHS, DecompositionMethod.WORKING_DAYS, is_working_day=lambda d: d.weekday() < 5 and d not in holidays
    )
    october, november = w[9], w[10]
    assert october < november
    with pytest.raises(ValueError, match="calendar"):
        period_weights(MONTHS, DecompositionMethod.WORKING_DAYS)


def test_rates_are_not_split_but_apply_to_every_child_and_period():
    reps = [rep(1), rep(2)]
    d = decompose(METRICS["win_rate"], Decimal("0.35"), COMPANY, MONTHS[:2], [Decimal(1)] * 2, reps, [Decimal(1)] * 2)
    assert d.cells[reps[0].owner] == (Decimal("0.35"), Decimal("0.35"))


@given(
    total_fen=st.integers(min_value=0, max_value=10**11),
    period_w=st.lists(st.integers(0, 1000), min_size=1, max_size=14),
    child_w=st.lists(st.integers(0, 1000), min_size=1, max_size=12),
)
def test_children_always_sum_exactly_to_the_parent_in_every_period(
    total_fen: int, period_w: list[int], child_w: list[int]
) -> None:
    total = Decimal(total_fen) / 100
    periods = [*MONTHS, CAL.parse("2028-01"), CAL.parse("2028-02")][: len(period_w)]
    children = [rep(i) for i in range(len(child_w))]
    d = decompose(
        METRICS["won_revenue"],
        total,
        COMPANY,
        periods,
        [Decimal(x) for x in period_w],
        children,
        [Decimal(x) for x in child_w],
    )
    assert d.total(COMPANY) == total
    for i in range(len(periods)):
        assert d.column(i, [c.owner for c in children]) == d.cells[COMPANY][i]
    assert sum((d.total(c.owner) for c in children), Decimal(0)) == total
    assert all(v >= 0 for row in d.cells.values() for v in row)


@given(st.lists(st.integers(0, 10**6), min_size=12, max_size=36))
def test_seasonal_weights_normalise_to_one(values: list[int]) -> None:
    history = {}
    for i, v in enumerate(values):
        y, m = 2024 + i // 12, i % 12 + 1
        history[date(y, m, 1)] = Decimal(v)
    w, _ = period_weights(MONTHS, DecompositionMethod.SEASONAL, history=history)
    shares = [x / sum(w) for x in w]
    assert abs(sum(shares) - 1) < Decimal("1e-20")
    assert all(s >= 0 for s in shares)


def test_split_rounds_an_off_quantum_total_half_up_first():
    assert split(Decimal("10.005"), [1, 1], Decimal("0.01")) == [Decimal("5.01"), Decimal("5.00")]
    assert sum(split(Decimal("10.005"), [1, 1], Decimal("0.01"))) == Decimal("10.01")


def test_negative_targets_are_refused():
    with pytest.raises(ValueError, match="negative"):
        decompose(METRICS["won_revenue"], Decimal(-1), COMPANY, MONTHS[:1], [Decimal(1)], [], [])
