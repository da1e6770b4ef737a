"""The plan grid: a target split down the calendar and the org tree stays exact on both
margins through decomposition, inline edits, Excel imports and monthly reviews."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chanli.core.periods import FiscalCalendar, Grain
from chanli.targets.model import COMPANY, METRICS, DecompositionMethod, OwnerKind, OwnerRef, PlanShape
from chanli.targets.rules import (
    apply_leaf_values,
    build_grid,
    edit_cell,
    grid_from_leaves,
    grid_issues,
    hold_closed_periods,
    median,
    metric_value,
    period_tree,
    period_weights,
    redistribute_leaves,
    roll_up_tree,
    run_rate,
    working_day_calendar,
)

D = Decimal
CAL = FiscalCalendar()
REVENUE = METRICS["won_revenue"]
CUSTOMERS = METRICS["new_customers"]


def team(i: int) -> OwnerRef:
    return OwnerRef(OwnerKind.TEAM, i)


def rep(i: int) -> OwnerRef:
    return OwnerRef(OwnerKind.PERSON, i)


def small_shape(grains: tuple[Grain, ...] = (Grain.QUARTER, Grain.MONTH)) -> PlanShape:
    """company ─┬─ team 1 ─┬─ rep 11
    │          └─ rep 12
    └─ team 2 ── rep 21"""
    periods, parents = period_tree(CAL, CAL.parse("2027"), grains)
    owners = (COMPANY, team(1), rep(11), rep(12), team(2), rep(21))
    parent = {COMPANY: None, team(1): COMPANY, rep(11): team(1), rep(12): team(1), team(2): COMPANY, rep(21): team(2)}
    return PlanShape(periods, parents, owners, parent)


def assert_exact(shape: PlanShape, grid: dict) -> None:
    assert grid_issues(REVENUE, shape, grid) == []


def test_the_period_tree_lists_year_quarters_then_months_in_calendar_order():
    periods, parents = period_tree(CAL, CAL.parse("2027"), (Grain.QUARTER, Grain.MONTH))
    assert [p.label for p in periods[:6]] == ["2027", "2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4", "2027-01"]
    assert len(periods) == 17
    assert parents[5:8] == (1, 1, 1)
    with pytest.raises(ValueError, match="not finer"):
        period_tree(CAL, CAL.parse("2027-Q1"), (Grain.YEAR,))


def test_ten_million_by_capacity_weights_is_exact_on_both_margins():
    shape = small_shape()
    grid = build_grid(REVENUE, D("10000000"), shape, {}, {COMPANY: [D(3), D(1)], team(1): [D("1.4"), D("0.6")]})
    # each month is split on its own (January 833,333.34 → 625,000.01 + 208,333.33), so a
    # year can carry a few fen of rounding residue — but every sum is exact
    assert grid[(COMPANY, 5)] == D("833333.34")
    assert [grid[(o, 5)] for o in (team(1), rep(11), rep(12), team(2))] == [
        D("625000.01"),
        D("437500.01"),
        D("187500.00"),
        D("208333.33"),
    ]
    assert [grid[(o, 0)] for o in shape.owners] == [
        D("10000000.00"),
        D("7500000.04"),
        D("5250000.04"),
        D("2250000.00"),
        D("2499999.96"),
        D("2499999.96"),
    ]
    assert_exact(shape, grid)


def test_editing_a_reps_month_makes_room_among_their_peers_and_keeps_the_team():
    shape = small_shape()
    grid = build_grid(REVENUE, D("1200000"), shape, {}, {})
    jan = 5
    team_jan = grid[(team(1), jan)]
    edited = edit_cell(REVENUE, shape, grid, rep(11), jan, D("40000.00"))
    assert edited[(rep(11), jan)] == D("40000.00")
    assert edited[(rep(12), jan)] == team_jan - D("40000.00")
    assert edited[(team(1), jan)] == team_jan
    assert edited[(COMPANY, 0)] == D("1200000.00")
    assert edited[(rep(11), 1)] == grid[(rep(11), 1)] - grid[(rep(11), jan)] + D("40000.00")
    assert_exact(shape, edited)


def test_an_edit_cannot_take_more_than_the_parent_has_or_go_negative():
    shape = small_shape()
    grid = build_grid(REVENUE, D("1200000"), shape, {}, {})
    with pytest.raises(ValueError, match="more than the parent"):
        edit_cell(REVENUE, shape, grid, rep(11), 5, D("999999.00"))
    with pytest.raises(ValueError, match="negative"):
        edit_cell(REVENUE, shape, grid, rep(11), 5, D("-1"))
    with pytest.raises(ValueError, match=r"steps of 0\.01"):
        edit_cell(REVENUE, shape, grid, rep(11), 5, D("1.001"))
    with pytest.raises(ValueError, match="edit the months"):
        edit_cell(REVENUE, shape, grid, rep(11), 1, D("1"))


def test_editing_the_plan_owners_quarter_moves_value_between_quarters_and_rescales_everyone():
    shape = small_shape()
    grid = build_grid(REVENUE, D("1000000"), shape, {}, {})
    edited = edit_cell(REVENUE, shape, grid, COMPANY, 1, D("100000.00"))
    assert edited[(COMPANY, 1)] == D("100000.00")
    assert edited[(COMPANY, 0)] == D("1000000.00")
    assert sum(edited[(COMPANY, q)] for q in (2, 3, 4)) == D("900000.00")
    assert_exact(shape, edited)


def test_editing_the_plan_total_rescales_every_period_in_proportion():
    shape = small_shape()
    grid = build_grid(REVENUE, D("1200000"), shape, {}, {})
    edited = edit_cell(REVENUE, shape, grid, COMPANY, 0, D("2400000.00"))
    assert [edited[(COMPANY, m)] for m in range(5, 17)] == [D("200000.00")] * 12
    assert_exact(shape, edited)


@settings(max_examples=60, deadline=None)
@given(
    total_fen=st.integers(0, 10**10),
    capacity=st.lists(st.integers(0, 20), min_size=3, max_size=3),
    edits=st.lists(st.tuples(st.sampled_from([0, 1, 2, 3, 4]), st.integers(5, 16), st.integers(0, 100)), max_size=6),
)
def test_any_sequence_of_edits_keeps_both_margins_exact_and_nothing_negative(
    total_fen: int, capacity: list[int], edits: list[tuple[int, int, int]]
) -> None:
    shape = small_shape()
    weights = {COMPANY: [D(capacity[0]), D(capacity[1])], team(1): [D(capacity[2]), D(1)]}
    grid = build_grid(REVENUE, D(total_fen) / 100, shape, {}, weights)
    total = grid[(COMPANY, 0)]
    for owner_index, month, share in edits:
        owner = shape.owners[owner_index]
        parent = shape.owner_parent[owner]
        room = grid[(parent, month)] if parent is not None else grid[(owner, shape.period_parent[month])]
        value = (room * share / 100).quantize(D("0.01"), rounding="ROUND_DOWN")
        grid = edit_cell(REVENUE, shape, grid, owner, month, value)
        assert grid[(owner, month)] == value
    assert grid[(COMPANY, 0)] == total
    assert_exact(shape, grid)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=3, max_size=3), st.integers(0, 500))
def test_count_targets_split_into_whole_customers_on_every_cell(weights: list[int], total: int) -> None:
    shape = small_shape()
    grid = build_grid(
        CUSTOMERS, D(total), shape, {}, {COMPANY: [D(weights[0]), D(weights[1])], team(1): [D(weights[2]), D(2)]}
    )
    assert all(v == v.to_integral_value() and v >= 0 for v in grid.values())
    assert grid_issues(CUSTOMERS, shape, grid) == []


def test_rates_apply_unchanged_to_every_cell_and_edit_alone():
    shape = small_shape()
    rate = METRICS["win_rate"]
    grid = build_grid(rate, D("0.35"), shape, {}, {})
    assert set(grid.values()) == {D("0.35")}
    edited = edit_cell(rate, shape, grid, rep(11), 5, D("0.40"))
    assert edited[(rep(11), 5)] == D("0.40") and edited[(rep(12), 5)] == D("0.35")


def test_grid_issues_name_the_owner_and_period_of_every_broken_sum():
    shape = small_shape()
    grid = build_grid(REVENUE, D("1200000"), shape, {}, {})
    grid[(rep(11), 5)] += D("1.00")
    codes = sorted({i.code for i in grid_issues(REVENUE, shape, grid)})
    assert codes == ["grid.children_sum", "grid.periods_sum"]
    broken = [i for i in grid_issues(REVENUE, shape, grid) if i.code == "grid.children_sum"]
    assert [(i.source, i.column) for i in broken] == [("team:1", "2027-01")]


def test_a_grid_rebuilt_from_the_reps_months_sums_every_team_and_quarter():
    shape = small_shape()
    leaves = {(o, m): D("100.00") for o in (rep(11), rep(12), rep(21)) for m in shape.leaves}
    grid = grid_from_leaves(shape, leaves)
    assert grid[(team(1), 5)] == D("200.00")
    assert grid[(COMPANY, 1)] == D("900.00")
    assert grid[(COMPANY, 0)] == D("3600.00")
    assert_exact(shape, grid)


def test_apply_leaf_values_moves_every_ancestor_by_the_same_amount():
    shape = small_shape()
    grid = build_grid(REVENUE, D("1200000"), shape, {}, {})
    moved = apply_leaf_values(REVENUE, shape, grid, rep(21), {5: grid[(rep(21), 5)] + D("10.00")})
    assert moved[(team(2), 5)] == grid[(team(2), 5)] + D("10.00")
    assert moved[(COMPANY, 0)] == grid[(COMPANY, 0)] + D("10.00")
    assert_exact(shape, moved)


def test_bottom_up_commitments_roll_up_where_a_level_has_no_entry_of_its_own():
    shape = small_shape()
    rolled = roll_up_tree(shape, {rep(11): D(60), rep(12): D(50), team(2): D(40)})
    assert rolled == {rep(11): D(60), rep(12): D(50), team(1): D(110), team(2): D(40), COMPANY: D(150)}


def test_the_monthly_review_moves_the_shortfall_into_the_remaining_months_and_keeps_the_year():
    shape = small_shape()
    grid = build_grid(REVENUE, D("1200000"), shape, {}, {})
    actuals = {5: D("50000.00"), 6: D("100000.00"), 7: D("100000.00")}
    proposed = redistribute_leaves(REVENUE, shape, grid, COMPANY, actuals, closed=3)
    assert [proposed[m] for m in (5, 6, 7)] == [D("100000.00")] * 3
    assert [proposed[m] for m in range(8, 17)] == [D("105555.56")] * 5 + [D("105555.55")] * 4
    # what was done plus what is still asked is the year that was agreed
    assert sum(actuals.values()) + sum(proposed[m] for m in range(8, 17)) == D("1200000.00")
    applied = hold_closed_periods(shape, grid, apply_leaf_values(REVENUE, shape, grid, COMPANY, proposed), {5, 6, 7})
    assert applied[(COMPANY, 0)] == D("1200000.00")  # the year and Q1 keep their agreed targets
    assert applied[(COMPANY, 1)] == D("300000.00")
    assert applied[(COMPANY, 2)] == D("316666.68")  # Q2 is the sum of its new months
    for i in range(len(shape.periods)):
        assert applied[(team(1), i)] + applied[(team(2), i)] == applied[(COMPANY, i)]
    with pytest.raises(ValueError, match="not redistributed"):
        redistribute_leaves(METRICS["win_rate"], shape, grid, COMPANY, {}, 1)


def test_seasonal_weights_average_each_month_over_the_years_it_was_seen():
    """Two Novembers of history must not weigh double against one January."""
    months = CAL.children(CAL.parse("2027"), Grain.MONTH)
    history = {date(2025, m, 1): D(100) for m in range(1, 13)} | {date(2024, 11, 1): D(300)}
    w, notes = period_weights(months, DecompositionMethod.SEASONAL, history=history)
    assert notes == []
    assert w[10] == D(200) and w[0] == D(100)


def test_working_day_calendar_honours_holidays_and_make_up_weekends():
    is_working = working_day_calendar({date(2026, 10, 1): False, date(2026, 10, 10): True})
    assert is_working(date(2026, 10, 1)) is False
    assert is_working(date(2026, 10, 10)) is True
    assert is_working(date(2026, 10, 11)) is False
    assert is_working(date(2026, 10, 12)) is True


def test_metric_values_read_numerator_or_ratio_at_the_units_quantum():
    assert metric_value(REVENUE, D("120000.00"), D(3)) == D("120000.00")
    assert metric_value(METRICS["win_rate"], D(1), D(3)) == D("0.3333")
    assert metric_value(METRICS["sales_cycle_days"], D(100), D(3)) == D("33.3")
    assert metric_value(METRICS["win_rate"], D(0), D(0)) is None
    assert run_rate(REVENUE, D("365000"), D(10), 365, 31) == D("31000.00")
    assert median([D(3), D(1), D(2)]) == D(2) and median([D(1), D(2)]) == D("1.5") and median([]) is None
