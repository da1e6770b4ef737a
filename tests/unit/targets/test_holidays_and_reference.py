"""The built-in holiday calendar and the pure reference definition of the metrics."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from chanli.core.periods import FiscalCalendar
from chanli.targets.holidays import cn_holidays
from chanli.targets.model import AccountFact, FactSet, FeedbackFact, OpportunityFact, OrderFact, PaymentFact
from chanli.targets.rules import reference_metric_cells, working_day_calendar

D = Decimal
CAL = FiscalCalendar()


def test_national_day_2026_leaves_october_with_eighteen_working_days():
    """22 weekdays, minus 1–7 October's five weekdays off, plus Saturday 10 October worked (调休)."""
    days = {h.day: h.is_workday for h in cn_holidays((2026,))}
    is_working = working_day_calendar(days)
    october = CAL.parse("2026-10")
    assert sum(1 for d in october.each_day() if is_working(d)) == 18
    assert october.elapsed_fraction(date(2026, 10, 9), is_working) == D(2) / D(18)


def test_make_up_days_fall_on_weekends_and_2027_is_marked_provisional():
    rows = cn_holidays()
    assert all(h.day.weekday() >= 5 for h in rows if h.is_workday)
    assert [h.day for h in rows if h.is_workday and h.day.year == 2026] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    assert sum(1 for h in rows if h.day.year == 2026 and not h.is_workday) == 33
    assert {h.official for h in rows if h.day.year == 2027} == {False}
    assert [h.day for h in rows if h.name == "春节" and h.day.year == 2027] == [
        date(2027, 2, 5),
        date(2027, 2, 6),
        date(2027, 2, 7),
        date(2027, 2, 8),
    ]


FACTS = FactSet(
    accounts=(AccountFact(1, 7), AccountFact(2, 8)),
    orders=(
        OrderFact(1, 1, 7, date(2026, 9, 30), D("100.00")),
        OrderFact(2, 1, 8, date(2026, 10, 2), D("50.00")),
        OrderFact(3, 2, 8, date(2026, 10, 3), D("70.00"), status="cancelled"),
        OrderFact(4, 2, 8, date(2026, 10, 9), D("30.00")),
        OrderFact(5, 2, 8, date(2026, 10, 9), D("99.00"), deleted=True),
    ),
    payments=(PaymentFact(1, 1, D("40.00"), date(2026, 10, 5)), PaymentFact(2, 3, D("70.00"), date(2026, 10, 6))),
    opportunities=(
        OpportunityFact(1, 7, "won", date(2026, 9, 1), date(2026, 10, 11)),
        OpportunityFact(2, 7, "lost", date(2026, 9, 20), date(2026, 10, 12)),
        OpportunityFact(3, 8, "open", date(2026, 9, 20), None),
    ),
    feedback=(FeedbackFact(1, 1, date(2026, 10, 1), 80), FeedbackFact(2, 2, date(2026, 10, 1), None, True)),
)
CLOSURE = [(7, "person:7"), (7, "team:1"), (7, "company"), (8, "person:8"), (8, "company")]


def test_reference_metrics_read_the_facts_as_the_glossary_defines_them():
    oct_ = (date(2026, 10, 1), date(2026, 11, 1))
    cells = lambda code: reference_metric_cells(code, FACTS, *oct_, CLOSURE)  # noqa: E731
    month = date(2026, 10, 1)
    assert cells("won_revenue") == {("person:8", month): (D("80.00"), D(2)), ("company", month): (D("80.00"), D(2))}
    # account 2's first live active order is order 4 (order 3 was cancelled)
    assert cells("new_customers") == {("person:8", month): (D(1), D(1)), ("company", month): (D(1), D(1))}
    assert cells("collected_revenue")[("company", month)] == (D("110.00"), D(2))
    assert cells("win_rate")[("team:1", month)] == (D(1), D(2))
    assert cells("sales_cycle_days")[("person:7", month)] == (D(40), D(1))
    assert cells("satisfaction") == {
        ("person:7", month): (D(80), D(1)),
        ("team:1", month): (D(80), D(1)),
        ("company", month): (D(80), D(1)),
    }
    assert cells("complaint_rate")[("company", month)] == (D(1), D(2))
    assert reference_metric_cells("won_revenue", FACTS, date(2026, 9, 28), date(2026, 10, 5), CLOSURE, "week") == {
        ("person:7", date(2026, 9, 28)): (D("100.00"), D(1)),
        ("team:1", date(2026, 9, 28)): (D("100.00"), D(1)),
        ("person:8", date(2026, 9, 28)): (D("50.00"), D(1)),
        ("company", date(2026, 9, 28)): (D("150.00"), D(2)),
    }
