"""Clawbacks across periods: cancelled, refunded, credited and uncollected orders produce
negative lines in the run's period, referencing the original order, never twice."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from chanli.compensation import CreditNote, Mentorship, OrderStatus, PaymentFact, PriorPayout, RunResult

from .builders import CAL, NOV, OCT, D, amounts, order, person, plan, run

SEP = CAL.parse("2026-09")
PLAN = plan(
    {"id": "commission", "kind": "revenue_rate", "rate": "3%"},
    {"id": "mentor", "kind": "mentor_override", "of": ["commission"]},
    {"id": "claw", "kind": "clawback", "uncollected_days": 60},
)


def paid_per_order(result: RunResult) -> list[PriorPayout]:
    """What the caller stores after a run: the lines' attribution summed per (order, person)."""
    paid: dict[tuple[int, int], Decimal] = {}
    for s in result.statements:
        for line in s.lines:
            for order_id, amount in line.attribution:
                paid[(order_id, s.person_id)] = paid.get((order_id, s.person_id), D(0)) + amount
    return [PriorPayout(o, p, amount) for (o, p), amount in sorted(paid.items())]


def test_an_order_cancelled_in_a_later_period_is_clawed_back_there_for_everyone_paid_on_it():
    """September: order 1 ¥100,000 × 3% = ¥3,000 to apprentice 2; mentor 1 gets 8% = ¥240.
    October: the order is cancelled on 10-12. Both amounts come back as negative lines in
    October, each referencing order 1."""
    people = [person(1), person(2)]
    mentorship = [Mentorship(1, 2, date(2026, 1, 1), None, D("0.08"))]
    signed = order(1, 2, "100000", signed=date(2026, 9, 10))
    september = run(PLAN, period=SEP, people=people, orders=[signed], mentorships=mentorship)
    assert amounts(september, "commission") == {1: D("0.00"), 2: D("3000.00")}
    assert amounts(september, "mentor") == {1: D("240.00")}

    cancelled = order(
        1, 2, "100000", signed=date(2026, 9, 10), status=OrderStatus.CANCELLED, status_on=date(2026, 10, 12)
    )
    prior = paid_per_order(september)
    assert prior == [PriorPayout(1, 1, D("240.00")), PriorPayout(1, 2, D("3000.00"))]
    october = run(PLAN, period=OCT, people=people, orders=[cancelled], mentorships=mentorship, prior_payouts=prior)
    assert amounts(october, "claw") == {1: D("-240.00"), 2: D("-3000.00")}
    (line,) = october.statement(2).by_component("claw")
    assert line.sources == ("order:1",)
    assert line.formula == "订单#1 已于 2026-10-12 取消：已发 ¥3,000.00 × 冲销 100.00% − 已追回 ¥0.00 = 追回 ¥3,000.00"


def test_a_rerun_with_the_clawback_recorded_does_not_claw_twice():
    cancelled = order(
        1, 1, "100000", signed=date(2026, 9, 10), status=OrderStatus.REFUNDED, status_on=date(2026, 10, 2)
    )
    done = [PriorPayout(1, 1, D("3000.00"), clawed_back=D("3000.00"))]
    result = run(PLAN, period=NOV, people=[person(1)], orders=[cancelled], prior_payouts=done)
    assert amounts(result, "claw") == {}


def test_a_leaver_still_gets_a_statement_with_the_clawback():
    cancelled = order(
        1, 1, "100000", signed=date(2026, 9, 10), status=OrderStatus.CANCELLED, status_on=date(2026, 10, 2)
    )
    leaver = person(1, leave_date=date(2026, 9, 30))
    result = run(PLAN, people=[leaver], orders=[cancelled], prior_payouts=[PriorPayout(1, 1, D("3000.00"))])
    assert [(s.person_id, s.total) for s in result.statements] == [(1, D("-3000.00"))]


def test_credit_notes_claw_back_their_share_cumulatively():
    """¥3,000 paid on ¥100,000. October credit note ¥25,000 → claw 25% = −¥750. November another
    ¥25,000 → target 50% = ¥1,500, of which ¥750 is done → −¥750 more."""
    o = order(1, 1, "100000", signed=date(2026, 9, 10))
    notes = [CreditNote(1, 1, D("25000"), date(2026, 10, 15))]
    october = run(
        PLAN,
        period=OCT,
        people=[person(1)],
        orders=[o],
        credit_notes=notes,
        payments=[PaymentFact(1, 1, D("100000"), date(2026, 9, 20))],
        prior_payouts=[PriorPayout(1, 1, D("3000"))],
    )
    assert amounts(october, "claw") == {1: D("-750.00")}
    notes.append(CreditNote(2, 1, D("25000"), date(2026, 11, 3)))
    november = run(
        PLAN, period=NOV, people=[person(1)], orders=[o], credit_notes=notes,
        payments=[PaymentFact(1, 1, D("100000"), date(2026, 9, 20))],
        prior_payouts=[PriorPayout(1, 1, D("3000"), clawed_back=D("750"))],
    )  # fmt: skip
    assert amounts(november, "claw") == {1: D("-750.00")}


def test_uncollected_orders_are_clawed_back_and_given_back_when_the_cash_arrives():
    """Signed 08-01 with 60 days to collect (deadline 09-30). By October's end ¥40,000 of
    ¥100,000 is in: claw 60% of ¥3,000 = −¥1,800. In November the rest arrives: +¥1,800."""
    o = order(1, 1, "100000", signed=date(2026, 8, 1))
    first = [PaymentFact(1, 1, D("40000"), date(2026, 8, 20))]
    october = run(
        PLAN, period=OCT, people=[person(1)], orders=[o], payments=first, prior_payouts=[PriorPayout(1, 1, D("3000"))]
    )
    assert amounts(october, "claw") == {1: D("-1800.00")}
    both = [*first, PaymentFact(2, 1, D("60000"), date(2026, 11, 5))]
    november = run(
        PLAN, period=NOV, people=[person(1)], orders=[o], payments=both,
        prior_payouts=[PriorPayout(1, 1, D("3000"), clawed_back=D("1800"))],
    )  # fmt: skip
    assert amounts(november, "claw") == {1: D("1800.00")}
    assert "退还 ¥1,800.00" in november.statement(1).by_component("claw")[0].formula


def test_orders_still_inside_their_collection_window_are_not_clawed_back():
    o = order(1, 1, "100000", signed=date(2026, 9, 15))  # deadline 11-14
    result = run(PLAN, period=OCT, people=[person(1)], orders=[o], prior_payouts=[PriorPayout(1, 1, D("3000"))])
    assert amounts(result, "claw") == {}


def test_a_partial_clawback_share_claws_that_share():
    p = plan({"id": "claw", "kind": "clawback", "share": "50%"})
    o = order(1, 1, "100000", signed=date(2026, 9, 10), status=OrderStatus.CANCELLED, status_on=date(2026, 10, 2))
    result = run(p, people=[person(1)], orders=[o], prior_payouts=[PriorPayout(1, 1, D("3000.01"))])
    assert amounts(result, "claw") == {1: D("-1500.01")}  # 1,500.005 → 1,500.01 (R7, half up)
