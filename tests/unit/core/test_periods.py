"""Periods: half-open, fiscal-aware, and exact at the edges."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chanli.core.periods import FiscalCalendar, Grain, business_date, working_days

CAL = FiscalCalendar()
APRIL = FiscalCalendar(start_month=4)


def test_labels_parse_to_half_open_spans():
    q3 = CAL.parse("2026-Q3")
    assert (q3.start, q3.end, q3.grain) == (date(2026, 7, 1), date(2026, 10, 1), Grain.QUARTER)
    oct_ = CAL.parse("2026-10")
    assert oct_.days == 31 and oct_.contains(date(2026, 10, 31)) and not oct_.contains(date(2026, 11, 1))
    w1 = CAL.parse("2026-W01")
    assert (w1.start, w1.end) == (date(2025, 12, 29), date(2026, 1, 5))
    assert CAL.parse("2026-H2").start == date(2026, 7, 1)
    assert CAL.parse("2026-10-05").days == 1
    assert CAL.parse("2026").end == date(2027, 1, 1)


def test_fiscal_year_starting_in_april_names_quarters_from_april():
    fy = APRIL.parse("FY2026")
    assert (fy.start, fy.end) == (date(2026, 4, 1), date(2027, 4, 1))
    assert APRIL.parse("2026-Q4").start == date(2027, 1, 1)
    assert APRIL.containing(date(2027, 2, 14), Grain.QUARTER).label == "2026-Q4"
    assert APRIL.containing(date(2026, 3, 31), Grain.YEAR).label == "FY2025"


def test_bad_labels_say_what_is_accepted():
    with pytest.raises(ValueError, match="use 2026, 2026-H1"):
        CAL.parse("Q3 2026")
    with pytest.raises(ValueError, match="invalid period"):
        CAL.parse("2026-13")


def test_shifting_keeps_the_grain_and_crosses_years():
    assert CAL.next(CAL.parse("2026-12")).label == "2027-01"
    assert CAL.previous(CAL.parse("2026-Q1")).label == "2025-Q4"
    assert CAL.shift(CAL.parse("2026-W52"), 2).label == "2027-W01"
    assert APRIL.next(APRIL.parse("2026-Q4")).label == "2027-Q1"


def test_a_year_splits_into_months_and_weeks_that_tile_it_exactly():
    year = CAL.parse("2026")
    months = CAL.children(year, Grain.MONTH)
    assert [m.label for m in months][:2] == ["2026-01", "2026-02"] and len(months) == 12
    weeks = CAL.children(CAL.parse("2026-10"), Grain.WEEK)
    assert weeks[0].start == date(2026, 10, 1) and weeks[-1].end == date(2026, 11, 1)
    assert sum(w.days for w in weeks) == 31
    assert all(a.end == b.start for a, b in itertools.pairwise(weeks))


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)),
    st.integers(1, 12),
    st.sampled_from([Grain.YEAR, Grain.HALF, Grain.QUARTER, Grain.MONTH, Grain.WEEK, Grain.DAY]),
)
def test_every_day_lies_in_exactly_the_period_that_contains_it(day: date, start_month: int, grain: Grain) -> None:
    cal = FiscalCalendar(start_month)
    period = cal.containing(day, grain)
    assert period.contains(day)
    assert cal.parse(period.label) == period
    assert cal.next(period).start == period.end
    assert not cal.next(period).contains(day)


def test_expected_to_date_counts_calendar_or_working_days():
    october = CAL.parse("2026-10")
    assert october.elapsed_fraction(date(2026, 9, 30)) == 0
    assert october.elapsed_fraction(date(2026, 10, 31)) == 1
    assert october.elapsed_fraction(date(2026, 10, 15)) == Decimal(15) / Decimal(31)
    # National Day golden week: Oct 1–7 are holidays, so by Oct 8 almost nothing was expected yet
    holidays = frozenset(date(2026, 10, d) for d in range(1, 8))
    workday = lambda d: d.weekday() < 5 and d not in holidays  # noqa: E731
    by_oct_8 = october.elapsed_fraction(date(2026, 10, 8), workday)
    assert by_oct_8 == Decimal(1) / Decimal(working_days(october, holidays))
    assert working_days(october, holidays) == 17


def test_business_date_follows_the_company_time_zone():
    late_evening_utc = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)
    assert business_date(late_evening_utc) == date(2026, 10, 1)
    assert business_date(late_evening_utc, "UTC") == date(2026, 9, 30)
    with pytest.raises(ValueError, match="timezone-aware"):
        business_date(datetime(2026, 9, 30, 17, 0))


def test_range_lists_every_period_between_two_inclusive():
    r = CAL.range(CAL.parse("2026-11"), CAL.parse("2027-02"))
    assert [p.label for p in r] == ["2026-11", "2026-12", "2027-01", "2027-02"]
    assert r[-1].end - r[0].start == timedelta(days=30 + 31 + 31 + 28)
