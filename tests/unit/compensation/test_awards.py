"""Special awards by ranking (with each tie rule) and lightning awards (闪电奖)."""

from __future__ import annotations

from datetime import date

from chanli.compensation import ExchangeRate, LightningAward, OrderStatus

from .builders import D, amounts, codes, order, person, plan, run

PEOPLE = [person(i) for i in (1, 2, 3, 4)]


def fastest(ties: str, prizes: list[int] | None = None) -> object:
    return plan(
        {
            "id": "fast",
            "kind": "special_award",
            "metric": "fastest_deal",
            "prizes": prizes or [5000, 3000, 1000],
            "ties": ties,
        }
    )


# Lead → signed cycles: 1 and 2 tie at 10 days (2 got there first, on 10-03), 3 took 12, 4 took 20.
CYCLES = [
    order(1, 1, "1000", signed=date(2026, 10, 8), lead_on=date(2026, 9, 28)),
    order(2, 2, "1000", signed=date(2026, 10, 3), lead_on=date(2026, 9, 23)),
    order(3, 3, "1000", signed=date(2026, 10, 5), lead_on=date(2026, 9, 23)),
    order(4, 4, "1000", signed=date(2026, 10, 25), lead_on=date(2026, 10, 5)),
    order(5, 4, "1000", signed=date(2026, 10, 26)),  # no lead date: not timed
]


def test_tied_people_share_the_prizes_of_the_places_they_occupy():
    """1 and 2 tie for 1st: they share 1st + 2nd (¥5,000 + ¥3,000) = ¥4,000 each; 3 is 3rd: ¥1,000."""
    result = run(fastest("share"), people=PEOPLE, orders=CYCLES)
    assert amounts(result, "fast") == {1: D("4000.00"), 2: D("4000.00"), 3: D("1000.00")}
    assert "并列第 1 名（2 人平分第 1–2 名奖金）" in result.statement(1).lines[0].formula


def test_with_full_rule_every_tied_person_gets_the_prize_of_their_place():
    """1 and 2 both get 1st (¥5,000); the next person is 3rd (¥1,000); 2nd place is not awarded."""
    result = run(fastest("full"), people=PEOPLE, orders=CYCLES)
    assert amounts(result, "fast") == {1: D("5000.00"), 2: D("5000.00"), 3: D("1000.00")}


def test_with_earliest_rule_whoever_reached_the_value_first_wins_the_tie():
    result = run(fastest("earliest"), people=PEOPLE, orders=CYCLES)
    assert amounts(result, "fast") == {2: D("5000.00"), 1: D("3000.00"), 3: D("1000.00")}


def test_a_shared_prize_that_does_not_divide_gives_the_odd_fen_to_the_lower_person_id():
    """Three tie for 1st of a single ¥100.00 prize: ¥33.34, ¥33.33, ¥33.33 — sums to ¥100.00."""
    orders = [order(i, i, "1", lead_on=date(2026, 10, 1), signed=date(2026, 10, 6)) for i in (3, 1, 2)]
    result = run(fastest("share", prizes=[100]), people=PEOPLE, orders=orders)
    assert amounts(result, "fast") == {1: D("33.34"), 2: D("33.33"), 3: D("33.33")}


def test_highest_order_value_compares_in_company_currency_and_ignores_cancelled_orders():
    """USD 100,000 × 7.1 = ¥710,000 beats ¥700,000; the ¥900,000 order was cancelled in October."""
    p = plan({"id": "big", "kind": "special_award", "metric": "highest_order_value", "prizes": [8000]})
    orders = [
        order(1, 1, "100000", currency="USD"),
        order(2, 2, "700000"),
        order(3, 3, "900000", status=OrderStatus.CANCELLED, status_on=date(2026, 10, 30)),
    ]
    result = run(p, people=PEOPLE, orders=orders, exchange_rates=[ExchangeRate("USD", D("7.1"))])
    assert amounts(result, "big") == {1: D("8000.00")}
    assert "最高订单额 ¥710,000.00" in result.statement(1).lines[0].formula


def test_most_new_customers_counts_distinct_new_accounts():
    """Person 1: accounts 10 and 11 (11 twice) = 2; person 2: one new account = 1."""
    p = plan({"id": "new", "kind": "special_award", "metric": "most_new_customers", "prizes": [2000, 1000]})
    orders = [
        order(1, 1, "1", account_id=10, new_customer=True),
        order(2, 1, "1", account_id=11, new_customer=True),
        order(3, 1, "1", account_id=11, new_customer=True),
        order(4, 2, "1", account_id=12, new_customer=True),
        order(5, 3, "1", account_id=13),  # an existing customer
    ]
    result = run(p, people=PEOPLE, orders=orders)
    assert amounts(result, "new") == {1: D("2000.00"), 2: D("1000.00")}


# --- lightning awards -------------------------------------------------------------------------

LIGHTNING = plan({"id": "flash", "kind": "lightning_award", "budget_per_manager": 5000})


def award(aid: int, pid: int, amount: str, **kw: object) -> LightningAward:
    kw.setdefault("approved_on", date(2026, 10, 10))
    return LightningAward(aid, pid, 9, D(amount), reason="当天签下标杆客户", **kw)


def test_approved_lightning_awards_are_paid_in_the_run():
    result = run(LIGHTNING, people=PEOPLE, lightning_awards=[award(1, 1, "2000"), award(2, 2, "1500")])
    assert amounts(result, "flash") == {1: D("2000.00"), 2: D("1500.00")}
    assert result.statement(1).lines[0].sources == ("lightning:1",)
    assert result.issues == ()


def test_unapproved_or_later_approved_awards_wait_for_a_later_run():
    awards = [award(1, 1, "2000", approved=False), award(2, 2, "1500", approved_on=date(2026, 11, 1))]
    result = run(LIGHTNING, people=PEOPLE, lightning_awards=awards)
    assert amounts(result, "flash") == {}
    assert codes(result) == ["comp.lightning_unapproved", "comp.lightning_unapproved"]


def test_a_manager_over_budget_is_paid_but_reported():
    """Manager 9 granted ¥3,000 + ¥2,500 = ¥5,500 against a ¥5,000 budget: a warning, both paid."""
    result = run(LIGHTNING, people=PEOPLE, lightning_awards=[award(1, 1, "3000"), award(2, 2, "2500")])
    assert amounts(result, "flash") == {1: D("3000.00"), 2: D("2500.00")}
    (issue,) = result.issues
    assert issue.code == "comp.lightning_over_budget"
    assert not issue.is_error
    assert "over the budget ¥5,000.00 by ¥500.00" in issue.message
