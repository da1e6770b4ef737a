"""A whole run: every component in one plan, determinism (fingerprint, byte-identical output,
order-independence), plug-in component kinds, and properties over random inputs."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chanli.compensation import (
    REGISTRY,
    ClvFact,
    CollectionRate,
    Component,
    ComponentResult,
    DeliveryScore,
    Draw,
    ExchangeRate,
    LightningAward,
    Mentorship,
    OrderFact,
    OrderStatus,
    PaymentFact,
    PriorPayout,
    ProjectMember,
    Quota,
    RunContext,
    RunInputs,
    Split,
    calculate,
    check_plan,
    fingerprint,
    register,
    result_json,
)
from chanli.compensation.rules import fen

from .builders import OCT, SEED_TIERS, D, amounts, codes, order, person, plan, run

KITCHEN_SINK = plan(
    {"id": "base", "kind": "base_salary"},
    {
        "id": "bonus",
        "kind": "performance_bonus",
        "quota": "won_revenue",
        "target_bonus": 30000,
        "curve": [{"attainment": "60%", "payout": "60%"}, {"attainment": "150%", "payout": "150%"}],
        "cap": "150%",
        "collection_bands": [{"lower": "0", "upper": "50%", "factor": "0"}, {"lower": "50%", "factor": "1"}],
    },
    {"id": "over_quota", "kind": "tiered_commission", "quota": "won_revenue", "tiers": SEED_TIERS},
    {"id": "cash", "kind": "revenue_rate", "rate": "0.5%", "crediting": {"basis": "collection"}},
    {"id": "products", "kind": "product_rates", "rates": [{"product": "A", "rate": "1.25%"}], "default_rate": "0.3%"},
    {"id": "fast", "kind": "special_award", "metric": "fastest_deal", "prizes": [3000, 1000], "ties": "share"},
    {"id": "flash", "kind": "lightning_award", "budget_per_manager": 1000},
    {"id": "clv", "kind": "clv_pool", "rate": "2%"},
    {"id": "mentor", "kind": "mentor_override", "of": ["over_quota", "products"]},
    {"id": "triangle", "kind": "team_pool", "rate": "1%"},
    {"id": "mo", "kind": "manager_override", "rate": "0.7%"},
    {
        "id": "dual",
        "kind": "dual_assessment",
        "applies_to": ["bonus"],
        "quota": "won_revenue",
        "delivery_weight": "35%",
    },
    {"id": "cap", "kind": "cap", "applies_to": ["bonus", "over_quota", "dual"], "amount": 60000},
    {"id": "floor", "kind": "floor", "applies_to": ["bonus"], "amount_by_tier": [{"tier": "new", "amount": 2000}]},
    {"id": "draw", "kind": "draw", "applies_to": ["over_quota", "cash"]},
    {"id": "claw", "kind": "clawback", "uncollected_days": 45},
)


# --- random inputs ---------------------------------------------------------------------------

cents = st.integers(min_value=0, max_value=300_000_000).map(lambda c: Decimal(c).scaleb(-2))
in_october = st.integers(0, 30).map(lambda n: OCT.start + timedelta(days=n))
around = st.integers(-120, 45).map(lambda n: OCT.start + timedelta(days=n))


@st.composite
def run_inputs(draw: st.DrawFn) -> RunInputs:
    n = draw(st.integers(1, 6))
    ids = list(range(1, n + 1))
    people = tuple(
        person(
            i,
            tier=draw(st.sampled_from(["new", "core", "elite"])),
            manager_id=draw(st.sampled_from([None, *ids])),
            hire_date=draw(st.one_of(st.none(), around)),
            base_salary=str(draw(cents)),
        )
        for i in ids
    )
    orders = []
    for oid in range(1, draw(st.integers(0, 10)) + 1):
        owner = draw(st.sampled_from(ids))
        cut = draw(st.integers(0, 100))
        splits = (Split(owner, Decimal(cut) / 100), Split(draw(st.sampled_from(ids)), Decimal(100 - cut) / 100))
        status = draw(st.sampled_from(list(OrderStatus)))
        orders.append(
            OrderFact(
                oid,
                owner,
                draw(around),
                draw(cents),
                currency=draw(st.sampled_from(["CNY", "CNY", "USD"])),
                status=status,
                status_on=draw(around) if status is not OrderStatus.ACTIVE else None,
                product=draw(st.sampled_from([None, "A", "B"])),
                account_id=draw(st.integers(1, 5)),
                lead_on=draw(st.one_of(st.none(), st.just(OCT.start - timedelta(days=draw(st.integers(1, 60)))))),
                new_customer=draw(st.booleans()),
                splits=splits if draw(st.booleans()) else (),
                members=tuple(ProjectMember(draw(st.sampled_from(ids)), r) for r in ("sales", "solution", "service"))
                if draw(st.booleans())
                else (),
            )
        )
    order_ids = [o.id for o in orders] or [999]
    payments = tuple(
        PaymentFact(pid, draw(st.sampled_from(order_ids)), draw(cents.filter(lambda c: c > 0)), draw(around))
        for pid in range(1, draw(st.integers(0, 8)) + 1)
    )
    return RunInputs(
        period=OCT,
        people=people,
        quotas=tuple(
            Quota(i, "won_revenue", draw(cents.filter(lambda c: c > 0))) for i in ids if draw(st.booleans()) or i == 1
        ),
        orders=tuple(orders),
        payments=payments,
        collection_rates=tuple(CollectionRate(i, Decimal(draw(st.integers(0, 100))) / 100) for i in ids),
        mentorships=(Mentorship(ids[0], ids[-1], draw(around), None, Decimal("0.07")),) if n > 1 else (),
        clv=tuple(ClvFact(i, draw(cents), draw(cents)) for i in ids),
        lightning_awards=tuple(
            LightningAward(a, draw(st.sampled_from(ids)), ids[0], draw(cents), approved_on=date(2026, 10, 3))
            for a in range(1, draw(st.integers(0, 3)) + 1)
        ),
        exchange_rates=(ExchangeRate("USD", Decimal(draw(st.integers(60000, 80000))) / 10000),),
        delivery_scores=tuple(
            DeliveryScore(
                i,
                Decimal(draw(st.integers(0, 100))),
                Decimal(draw(st.integers(0, 20))) / 100,
                Decimal(draw(st.integers(0, 120))),
            )
            for i in ids
        ),
        draws=(Draw(ids[-1], draw(cents), draw(st.booleans()), date(2026, 1, 1), outstanding=draw(cents)),),
        prior_payouts=tuple(
            PriorPayout(oid, draw(st.sampled_from(ids)), draw(cents), D(0))
            for oid in {o.id for o in orders if draw(st.booleans())}
        ),
    )


@settings(max_examples=60, deadline=None)
@given(inputs=run_inputs())
def test_every_statement_total_is_exactly_the_sum_of_its_rounded_lines(inputs):
    result = calculate(KITCHEN_SINK, inputs)
    for s in result.statements:
        assert s.total == sum((line.amount for line in s.lines), Decimal("0.00"))
        for line in s.lines:
            assert line.amount.as_tuple().exponent == -2  # every line at the fen (R5)
            assert fen(line.amount) == line.amount
            if line.attribution:
                assert sum((a for _, a in line.attribution), Decimal(0)) == line.amount


@settings(max_examples=40, deadline=None)
@given(inputs=run_inputs(), seed=st.integers(0, 1000))
def test_the_same_inputs_in_any_order_give_byte_identical_results(inputs, seed):
    shuffled = {}
    rng = random.Random(seed)
    for f in dataclasses.fields(inputs):
        value = getattr(inputs, f.name)
        if isinstance(value, tuple):
            value = list(value)
            rng.shuffle(value)
            value = tuple(value)
        shuffled[f.name] = value
    other = RunInputs(**shuffled)
    assert fingerprint(other, KITCHEN_SINK) == fingerprint(inputs, KITCHEN_SINK)
    assert result_json(calculate(KITCHEN_SINK, other)) == result_json(calculate(KITCHEN_SINK, inputs))


@settings(max_examples=40, deadline=None)
@given(inputs=run_inputs())
def test_pool_shares_sum_exactly_to_their_pools(inputs):
    """CLV: the shares paid sum to rate × renewal revenue, to the fen, whenever anyone qualifies
    (employed in the period: someone with a statement only for a clawback does not share)."""
    result = calculate(KITCHEN_SINK, inputs)
    paid = sum(amounts(result, "clv").values(), Decimal(0))
    pool = fen(sum((f.renewal_revenue for f in inputs.clv), Decimal(0)) * Decimal("0.02"))
    participants = {p.id for p in inputs.people if p.employed_days(inputs.period) > 0}
    if pool > 0 and any(f.retained_value > 0 and f.person_id in participants for f in inputs.clv):
        assert paid == pool


# --- determinism --------------------------------------------------------------------------------


def seed_inputs(**overrides: object) -> RunInputs:
    values = {
        "period": OCT,
        "people": (person(1, base_salary="20000"), person(2, base_salary="15000", manager_id=1)),
        "quotas": (Quota(1, "won_revenue", D("1000000")), Quota(2, "won_revenue", D("500000"))),
        "orders": (order(11, 1, "1250000", product="A", lead_on=date(2026, 9, 1)), order(12, 2, "400000")),
        "collection_rates": (CollectionRate(1, D("0.95")), CollectionRate(2, D("0.7"))),
        "delivery_scores": (DeliveryScore(1, D("90"), D("0.02"), D("45")), DeliveryScore(2, D("80"), D("0"), D("20"))),
    }
    values.update(overrides)
    return RunInputs(**values)  # type: ignore[arg-type]


def test_rerunning_the_same_inputs_gives_byte_identical_output_and_the_same_fingerprint():
    first, second = calculate(KITCHEN_SINK, seed_inputs()), calculate(KITCHEN_SINK, seed_inputs())
    assert result_json(first) == result_json(second)
    assert first.fingerprint == second.fingerprint == fingerprint(seed_inputs(), KITCHEN_SINK)
    assert len(first.fingerprint) == 64


def test_any_change_of_inputs_or_plan_changes_the_fingerprint():
    changed = seed_inputs(quotas=(Quota(1, "won_revenue", D("1000000.01")), Quota(2, "won_revenue", D("500000"))))
    other_plan = dataclasses.replace(KITCHEN_SINK, version=2)
    assert fingerprint(changed, KITCHEN_SINK) != fingerprint(seed_inputs(), KITCHEN_SINK)
    assert fingerprint(seed_inputs(), other_plan) != fingerprint(seed_inputs(), KITCHEN_SINK)


def test_equal_decimals_written_differently_fingerprint_the_same():
    a = seed_inputs(quotas=(Quota(1, "won_revenue", D("1000000")),))
    b = seed_inputs(quotas=(Quota(1, "won_revenue", D("1000000.00")),))
    assert fingerprint(a, KITCHEN_SINK) == fingerprint(b, KITCHEN_SINK)


def test_the_seed_run_explains_every_line():
    result = calculate(KITCHEN_SINK, seed_inputs())
    s1 = result.statement(1)
    assert s1.amount_of("over_quota") == D("12000.00")
    assert s1.amount_of("base") == D("20000.00")
    assert all(line.formula for s in result.statements for line in s.lines)
    assert s1.total == sum((line.amount for line in s1.lines), D("0.00"))


def test_a_plan_not_in_effect_in_the_period_is_an_error():
    late = dataclasses.replace(KITCHEN_SINK, effective_from=date(2027, 1, 1))
    assert "comp.plan_not_in_effect" in codes(calculate(late, seed_inputs()))


def test_duplicate_facts_are_reported():
    result = calculate(KITCHEN_SINK, seed_inputs(orders=(order(1, 1, "1"), order(1, 1, "2"))))
    assert "comp.duplicate_input" in codes(result)


# --- plug-in component kinds ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PerVisitParams:
    amount: Decimal

    def problems(self) -> list[tuple[str, str]]:
        return [("amount", "must not be negative")] if self.amount < 0 else []


def per_order(component: Component, ctx: RunContext) -> ComponentResult:
    """A flat amount per order signed in the period (a toy plug-in)."""
    lines = []
    for p in ctx.participants:
        n = sum(1 for o in ctx.inputs.orders if o.owner_id == p.id and ctx.period.contains(o.signed_on))
        amount = fen(component.params.amount * n)
        lines.append(ctx.line(component, p.id, amount, f"{n} 单 × {ctx.money(component.params.amount)}"))
    return ComponentResult(tuple(lines))


def test_a_new_component_kind_plugs_in_through_the_registry():
    registry = dict(REGISTRY)
    register("per_order", PerVisitParams, label="每单奖励", registry=registry)(per_order)
    data = {
        "plan": "p",
        "version": 1,
        "effective_from": "2026-01-01",
        "components": [{"kind": "per_order", "amount": 50}],
    }
    result = check_plan(data, registry=registry)
    assert result.ok
    run_result = calculate(result.value, seed_inputs(), registry=registry)
    assert amounts(run_result, "per_order") == {1: D("50.00"), 2: D("50.00")}
    bad = check_plan({**data, "components": [{"kind": "per_order", "amount": -1}]}, registry=registry)
    assert [f"{i.column}: {i.message}" for i in bad.issues] == ["components[0].amount: must not be negative"]
    assert "per_order" not in REGISTRY


def test_a_component_that_returns_an_unrounded_amount_fails_loudly():
    def sloppy(component: Component, ctx: RunContext) -> ComponentResult:
        return ComponentResult((ctx.line(component, 1, Decimal("1.005"), "x"),))

    registry = dict(REGISTRY)
    register("sloppy", PerVisitParams, label="x", registry=registry)(sloppy)
    p = check_plan(
        {"plan": "p", "version": 1, "effective_from": "2026-01-01", "components": [{"kind": "sloppy", "amount": 1}]},
        registry=registry,
    ).value
    with pytest.raises(ValueError, match="not rounded to the fen"):
        calculate(p, seed_inputs(), registry=registry)


def test_run_helper_smoke():
    assert run(KITCHEN_SINK, people=[person(1)]).statements[0].person_id == 1


def test_the_worked_example_in_docs_md():
    """docs.md: 王芳, October 2026, quota ¥1,000,000, ¥1,250,000 signed, 回款率 95%, base ¥20,000:
    base ¥20,000.00 + bonus ¥37,500.00 + tiers ¥12,000.00 = ¥69,500.00; a June order she was
    paid ¥300.00 on, cancelled on 10-02, adds −¥300.00."""
    from chanli.compensation import load_plan

    from .test_plans import SEED_YAML

    plan_v3 = load_plan(SEED_YAML.replace("collection_gate: 0.6", "collection_gate: 0.9"))
    inputs = RunInputs(
        period=OCT,
        people=(person(1, name="王芳", base_salary="20000"),),
        quotas=(Quota(1, "won_revenue", D("1000000")),),
        orders=(
            order(11, 1, "1250000"),
            order(5, 1, "10000", signed=date(2026, 6, 5), status=OrderStatus.CANCELLED, status_on=date(2026, 10, 2)),
        ),
        payments=(PaymentFact(1, 11, D("1250000"), date(2026, 10, 20)),),
        collection_rates=(CollectionRate(1, D("0.95")),),
        prior_payouts=(PriorPayout(5, 1, D("300.00")),),
    )
    s = calculate(plan_v3, inputs).statement(1)
    assert [(ln.component_id, ln.amount) for ln in s.lines] == [
        ("base", D("20000.00")),
        ("bonus", D("37500.00")),
        ("over_quota", D("12000.00")),
        ("claw", D("-300.00")),
    ]
    assert s.total == D("69200.00")
