"""Contract on a local Spark (``--engine spark``): the set-based engine pays what the reference
pays, to the fen, on a small fixed case that touches every path — booking and collection,
splits with an odd fen, a USD order at the period's rate, a credit note, the team roll-up over
the manager closure, per-product rates, and a clawback of a cancelled order.

One session for the module (Spark starts in ~15 s here); marked ``slow``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from chanli.compensation import (
    CreditNote,
    ExchangeRate,
    OrderFact,
    OrderStatus,
    PaymentFact,
    Person,
    PriorPayout,
    Quota,
    RunInputs,
    Split,
    calculate,
    parse_plan,
)
from chanli.compensation.batch import batch_amounts, load_facts
from chanli.core.periods import FiscalCalendar
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.slow

OCT = FiscalCalendar().parse("2026-10")
D = Decimal

PLAN = parse_plan(
    {
        "plan": "spark",
        "version": 1,
        "effective_from": "2026-01-01",
        "components": [
            {
                "id": "over_quota",
                "kind": "tiered_commission",
                "quota": "won_revenue",
                "tiers": [
                    {"lower": "100%", "upper": "110%", "rate": "3%"},
                    {"lower": "110%", "upper": "120%", "rate": "5%"},
                    {"lower": "120%", "rate": "8%"},
                ],
            },
            {"id": "cash", "kind": "revenue_rate", "rate": "1.5%", "crediting": {"basis": "collection"}},
            {"id": "team", "kind": "revenue_rate", "rate": "0.5%", "crediting": {"basis": "booking", "scope": "team"}},
            {
                "id": "products",
                "kind": "product_rates",
                "rates": [{"product": "A", "rate": "4%"}],
                "default_rate": "1%",
            },
            {"id": "claw", "kind": "clawback"},
        ],
    }
)

INPUTS = RunInputs(
    period=OCT,
    people=(Person(1), Person(2, manager_id=1), Person(3, manager_id=1), Person(4, manager_id=2)),
    quotas=(Quota(2, "won_revenue", D("100000")), Quota(3, "won_revenue", D("50000"))),
    orders=(
        OrderFact(
            1, 2, date(2026, 10, 3), D("100000.01"), product="A", splits=(Split(2, D("0.6")), Split(3, D("0.4")))
        ),
        OrderFact(2, 3, date(2026, 10, 9), D("10000"), currency="USD", product="B"),
        OrderFact(3, 4, date(2026, 10, 15), D("30000"), product="A"),
        OrderFact(4, 2, date(2026, 6, 1), D("50000"), status=OrderStatus.CANCELLED, status_on=date(2026, 10, 2)),
    ),
    payments=(PaymentFact(1, 1, D("60000"), date(2026, 10, 20)), PaymentFact(2, 3, D("30000"), date(2026, 10, 25))),
    credit_notes=(CreditNote(1, 3, D("5000"), date(2026, 10, 20)),),
    exchange_rates=(ExchangeRate("USD", D("7.1")),),
    prior_payouts=(PriorPayout(4, 2, D("1500.00")),),
)


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    try:
        import ibis

        from chanli.core.engine import spark_session

        session = spark_session("chanli-contract")
    except ImportError:
        skip_or_fail("pyspark is not installed (pip install -e '.[spark]')")
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()


def test_spark_pays_every_person_what_the_reference_pays(spark: Any) -> None:
    load_facts(spark, INPUTS)
    reference: dict[tuple[int, str], Decimal] = {}
    for st in calculate(PLAN, INPUTS).statements:
        for line in st.lines:
            reference[(st.person_id, line.component_id)] = (
                reference.get((st.person_id, line.component_id), D(0)) + line.amount
            )
    got = {k: v for k, v in batch_amounts(spark, PLAN, OCT).items() if v != 0}
    assert got == {k: v for k, v in reference.items() if v != 0}
    assert got[(2, "claw")] == D("-1500.00")
    assert got[(1, "team")] == D("980.00")  # (100,000.01 + 71,000.00 + 25,000.00) × 0.5%, to the fen (R5)
