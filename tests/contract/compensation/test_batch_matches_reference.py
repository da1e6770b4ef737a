"""Contract: the set-based engine (``compensation.batch``) pays every person exactly what the
reference engine (``compensation.rules``) pays, to the fen, on DuckDB and SQLite, for random
plans of the volume components and random facts (hypothesis)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from typing import Any

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chanli.compensation import (
    CreditNote,
    ExchangeRate,
    OrderFact,
    OrderStatus,
    PaymentFact,
    Person,
    PlanVersion,
    PriorPayout,
    Quota,
    RunInputs,
    Split,
    calculate,
    parse_plan,
)
from chanli.compensation.batch import BATCH_KINDS, RunCredits, attainment_bp, batch_amounts, load_facts, unsupported
from chanli.core.periods import FiscalCalendar

pytestmark = [
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option"),
]

OCT = FiscalCalendar().parse("2026-10")
BACKENDS = ("duckdb", "sqlite")


@pytest.fixture(scope="module", params=BACKENDS)
def con(request: pytest.FixtureRequest) -> Any:
    backend = ibis.duckdb.connect() if request.param == "duckdb" else ibis.sqlite.connect()
    return backend


# --- strategies -------------------------------------------------------------------------------

fen = st.integers(0, 10**11).map(lambda f: Decimal(f).scaleb(-2))  # up to ¥1,000,000,000.00
small_fen = st.integers(0, 10**8).map(lambda f: Decimal(f).scaleb(-2))
rate = st.integers(0, 150_000).map(lambda ppm: Decimal(ppm).scaleb(-6))  # 0–15%, 6 places
day = st.integers(-150, 45).map(lambda n: OCT.start + timedelta(days=n))
october = st.integers(0, 30).map(lambda n: OCT.start + timedelta(days=n))
mostly_october = st.one_of(october, october, day)
amount = st.one_of(*[st.integers(1, 10**9)] * 3, st.integers(1, 10**11)).map(lambda f: Decimal(f).scaleb(-2))
quota_amount = st.integers(10**6, 10**9).map(lambda f: Decimal(f).scaleb(-2))
crediting = st.fixed_dictionaries(
    {"basis": st.sampled_from(["booking", "collection"]), "scope": st.sampled_from(["own", "own", "team"])}
)


@st.composite
def tiers(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 4))
    edges = sorted(draw(st.lists(st.integers(0, 30_000), min_size=n + 1, max_size=n + 1, unique=True)))
    out = []
    for i in range(n):
        t: dict[str, Any] = {"lower": Decimal(edges[i]).scaleb(-4), "rate": draw(rate)}
        if i < n - 1 or draw(st.booleans()):
            t["upper"] = Decimal(edges[i + 1]).scaleb(-4)
        out.append(t)
    return out


@st.composite
def plans(draw: st.DrawFn) -> PlanVersion:
    components: list[dict[str, Any]] = [
        {
            "id": "tiers",
            "kind": "tiered_commission",
            "quota": "won_revenue",
            "tiers": draw(tiers()),
            "crediting": draw(crediting),
        },
        {"id": "rate", "kind": "revenue_rate", "rate": draw(rate), "crediting": draw(crediting)},
    ]
    if draw(st.booleans()):
        components.append({"id": "rate_a", "kind": "revenue_rate", "rate": draw(rate), "products": ["A"]})
    product = {"id": "products", "kind": "product_rates", "rates": [{"product": "A", "rate": draw(rate)}]}
    if draw(st.booleans()):
        product["default_rate"] = draw(rate)
    components.append(product)
    claw: dict[str, Any] = {"id": "claw", "kind": "clawback", "share": Decimal(draw(st.integers(0, 100))) / 100}
    if draw(st.booleans()):
        claw["uncollected_days"] = draw(st.integers(0, 120))
    components.append(claw)
    eligibility = {"tiers": ["core", "elite"]} if draw(st.booleans()) else {}
    return parse_plan(
        {
            "plan": "p",
            "version": 1,
            "effective_from": "2026-01-01",
            "eligibility": eligibility,
            "components": components,
        }
    )


@st.composite
def facts(draw: st.DrawFn) -> RunInputs:
    ids = list(range(1, draw(st.integers(1, 8)) + 1))
    people = tuple(
        Person(
            i,
            tier=draw(st.sampled_from(["new", "core", "elite"])),
            manager_id=draw(st.one_of(st.none(), st.sampled_from(ids))),  # trees, self-links and cycles
            hire_date=draw(st.one_of(st.none(), day)),
            leave_date=draw(st.one_of(st.none(), st.none(), day)),
        )
        for i in ids
    )
    orders = []
    for oid in range(1, draw(st.integers(0, 16)) + 1):
        status = draw(
            st.sampled_from([OrderStatus.ACTIVE, OrderStatus.ACTIVE, OrderStatus.CANCELLED, OrderStatus.REFUNDED])
        )
        splits: tuple[Split, ...] = ()
        if draw(st.booleans()):
            cuts = draw(st.lists(st.integers(0, 10**6), min_size=1, max_size=3))
            total = sum(cuts)
            shares = [Decimal(c).scaleb(-6) for c in cuts]
            if total <= 10**6 and draw(st.booleans()):
                shares.append(Decimal(10**6 - total).scaleb(-6))  # valid: sums to 100%
            splits = tuple(Split(draw(st.sampled_from(ids)), s) for s in shares)
        orders.append(
            OrderFact(
                oid,
                draw(st.sampled_from(ids)),
                draw(mostly_october),
                draw(amount),
                currency=draw(st.sampled_from(["CNY", "CNY", "USD", "EUR"])),
                status=status,
                status_on=draw(st.one_of(st.none(), day)) if status is not OrderStatus.ACTIVE else None,
                product=draw(st.sampled_from([None, "A", "B"])),
                splits=splits,
            )
        )
    order_ids = [o.id for o in orders] or [1]
    return RunInputs(
        period=OCT,
        people=people,
        quotas=tuple(Quota(i, "won_revenue", draw(quota_amount)) for i in ids if draw(st.integers(0, 3))),
        orders=tuple(orders),
        payments=tuple(
            PaymentFact(p, draw(st.sampled_from(order_ids)), draw(amount), draw(mostly_october))
            for p in range(1, draw(st.integers(0, 12)) + 1)
        ),
        credit_notes=tuple(
            CreditNote(n, draw(st.sampled_from(order_ids)), draw(small_fen), draw(day))
            for n in range(1, draw(st.integers(0, 5)) + 1)
        ),
        exchange_rates=(ExchangeRate("USD", Decimal(draw(st.integers(6_000_000, 8_000_000))).scaleb(-6)),),
        prior_payouts=tuple(
            PriorPayout(oid, draw(st.sampled_from(ids)), draw(small_fen), draw(small_fen))
            for oid in sorted({draw(st.sampled_from(order_ids)) for _ in range(draw(st.integers(0, 8)))})
        ),
    )


# --- the contract ------------------------------------------------------------------------------


def reference_amounts(plan: PlanVersion, inputs: RunInputs) -> dict[tuple[int, str], Decimal]:
    out: dict[tuple[int, str], Decimal] = {}
    for s in calculate(plan, inputs).statements:
        for line in s.lines:
            key = (s.person_id, line.component_id)
            out[key] = out.get(key, Decimal("0.00")) + line.amount
    return {k: v for k, v in out.items() if v != 0}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plans(), inputs=facts())
def test_batch_pays_every_person_what_the_reference_pays_and_measures_the_same_attainment(con, plan, inputs):
    load_facts(con, inputs)
    book = RunCredits(con, OCT, plan.currency)
    try:
        batch = {k: v for k, v in batch_amounts(con, plan, OCT, book).items() if v != 0}
        rows = attainment_bp(con, plan, OCT, "tiers", book).to_pyarrow().to_pylist()
    finally:
        book.release()
    assert batch == reference_amounts(plan, inputs)
    attainment = {r["person_id"]: Decimal(r["attainment_bp"]).scaleb(-4) for r in rows}
    reference = {
        s.person_id: dict(line.inputs)["attainment"]
        for s in calculate(plan, inputs).statements
        for line in s.by_component("tiers")
    }
    assert attainment == reference


@st.composite
def plain_books(draw: st.DrawFn) -> RunInputs:
    """No splits, credit notes or exchange rates (the engine sums booked amounts before their
    conversion to fen then): foreign-currency orders must still drop out."""
    inputs = draw(facts())
    orders = tuple(replace(o, splits=()) for o in inputs.orders)
    return replace(inputs, orders=orders, credit_notes=(), exchange_rates=())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(plan=plans(), inputs=plain_books())
def test_plain_books_pay_what_the_reference_pays(con, plan, inputs):
    load_facts(con, inputs)
    batch = {k: v for k, v in batch_amounts(con, plan, OCT).items() if v != 0}
    assert batch == reference_amounts(plan, inputs)

@st.composite
def clawback_cases(draw: st.DrawFn) -> tuple[PlanVersion, RunInputs]:
    """No credit notes and no collection deadline (the engine's short path): payouts of active,
    reversed and reinstated orders, some untouched, some partly clawed back already."""
    share = Decimal(draw(st.integers(1, 100))) / 100
    plan = parse_plan(
        {
            "plan": "claw",
            "version": 1,
            "effective_from": "2026-01-01",
            "components": [{"id": "claw", "kind": "clawback", "share": share}],
        }
    )
    inputs = draw(facts())
    untouched = st.just(Decimal("0.00"))
    payouts = tuple(
        replace(p, clawed_back=draw(st.one_of(untouched, untouched, small_fen))) for p in inputs.prior_payouts
    )
    return plan, replace(inputs, credit_notes=(), prior_payouts=payouts)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=clawback_cases())
def test_clawbacks_without_credit_notes_match_the_reference(con, case):
    plan, inputs = case
    load_facts(con, inputs)
    batch = {k: v for k, v in batch_amounts(con, plan, OCT).items() if v != 0}
    assert batch == reference_amounts(plan, inputs)


def test_the_seed_example_runs_set_based(con):
    """Quota ¥1,000,000, revenue ¥1,250,000 over two orders, tiers 3/5/8%: ¥12,000."""
    plan = parse_plan(
        {
            "plan": "seed",
            "version": 1,
            "effective_from": "2026-01-01",
            "components": [
                {"id": "base", "kind": "base_salary"},
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
            ],
        }
    )
    inputs = RunInputs(
        period=OCT,
        people=(Person(1),),
        quotas=(Quota(1, "won_revenue", Decimal("1000000")),),
        orders=(OrderFact(1, 1, OCT.start, Decimal("1000000")), OrderFact(2, 1, OCT.start, Decimal("250000"))),
    )
    load_facts(con, inputs)
    assert batch_amounts(con, plan, OCT) == {(1, "over_quota"): Decimal("12.000E+3")}
    assert unsupported(plan) == ["base"]
    assert set(BATCH_KINDS) == {"tiered_commission", "revenue_rate", "product_rates", "clawback"}
