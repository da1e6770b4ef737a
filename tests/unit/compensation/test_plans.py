"""The plan format: YAML/JSON into the frozen model; bad plans refused with every problem named
by its key path."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chanli.compensation import (
    PlanInvalid,
    TieredCommissionParams,
    check_plan,
    dump_plan,
    load_plan,
    parse_plan,
    plan_json,
    plan_yaml,
)

SEED_YAML = """
plan: sales-core
name: 销售骨干薪酬方案 2026
version: 3
effective_from: 2026-01-01
eligibility: {tiers: [core, elite]}
components:
  - {id: base, kind: base_salary}
  - id: bonus
    kind: performance_bonus
    quota: won_revenue
    target_bonus: 30000
    curve:
      - {attainment: 60%, payout: 60%}
      - {attainment: 100%, payout: 100%}
      - {attainment: 150%, payout: 150%}
    cap: 150%
    collection_gate: 0.6
  - id: over_quota
    kind: tiered_commission
    label: 超额提成
    quota: won_revenue
    crediting: {basis: collection}
    tiers:
      - {lower: 100%, upper: 110%, rate: 3%}
      - {lower: 110%, upper: 120%, rate: 5%}
      - {lower: 120%, rate: 8%}
  - {id: mentor, kind: mentor_override, of: [over_quota]}
  - {id: claw, kind: clawback, uncollected_days: 90}
"""


def problems(data: object) -> list[str]:
    result = check_plan(data)
    assert not result.ok
    return [f"{i.column}: {i.message}" for i in result.issues]


def base(*components: dict) -> dict:
    return {"plan": "p", "version": 1, "effective_from": "2026-01-01", "components": list(components)}


def test_a_yaml_plan_loads_into_the_frozen_model_with_percentages_and_exact_decimals():
    plan = load_plan(SEED_YAML)
    assert (plan.plan.id, plan.version, plan.effective_from) == ("sales-core", 3, date(2026, 1, 1))
    assert [c.id for c in plan.components] == ["base", "bonus", "over_quota", "mentor", "claw"]
    tiers = plan.component("over_quota").params.tiers
    assert [(t.lower, t.upper, t.rate) for t in tiers] == [
        (Decimal("1"), Decimal("1.1"), Decimal("0.03")),
        (Decimal("1.1"), Decimal("1.2"), Decimal("0.05")),
        (Decimal("1.2"), None, Decimal("0.08")),
    ]
    assert plan.component("bonus").params.collection_gate == Decimal("0.6")  # YAML 0.6 read from text, not float
    assert plan.component("over_quota").label == "超额提成"
    assert plan.component("base").label == "基本工资"  # the kind's default label
    assert isinstance(plan.component("over_quota").params, TieredCommissionParams)


def test_a_plan_round_trips_through_yaml_and_json():
    plan = load_plan(SEED_YAML)
    assert load_plan(plan_yaml(plan)) == plan
    assert load_plan(plan_json(plan), fmt="json") == plan
    assert parse_plan(dump_plan(plan)) == plan


def test_json_decimals_are_read_exactly():
    text = (
        '{"plan": "p", "version": 1, "effective_from": "2026-01-01",'
        ' "components": [{"kind": "revenue_rate", "rate": 0.035}]}'
    )
    assert load_plan(text).components[0].params.rate == Decimal("0.035")


def test_an_unknown_component_kind_is_named_with_its_path():
    known = (
        "base_salary, cap, clawback, clv_pool, draw, dual_assessment, floor, lightning_award, manager_override, "
        "mentor_override, performance_bonus, product_rates, revenue_rate, special_award, team_pool, tiered_commission"
    )
    assert problems(base({"kind": "base_salary"}, {"kind": "bonus"})) == [
        f"components[1].kind: unknown component kind 'bonus'; known: {known}"
    ]


def tiered(*tiers: dict) -> dict:
    return base(
        {"kind": "base_salary"},
        {"kind": "revenue_rate", "rate": "1%"},
        {"kind": "tiered_commission", "quota": "won_revenue", "tiers": list(tiers)},
    )


def test_a_negative_rate_is_refused_at_its_key_path():
    assert problems(tiered({"lower": "100%", "upper": "110%", "rate": "3%"}, {"lower": "110%", "rate": "-5%"})) == [
        "components[2].tiers[1].rate: must not be negative"
    ]


def test_overlapping_tiers_are_refused():
    assert problems(tiered({"lower": "100%", "upper": "110%", "rate": "3%"}, {"lower": "105%", "rate": "5%"})) == [
        "components[2].tiers[1].lower: overlaps the previous band (starts at 105%, before it ends at 110%)"
    ]


def test_unordered_tiers_and_gaps_are_refused():
    assert problems(
        tiered({"lower": "110%", "upper": "120%", "rate": "5%"}, {"lower": "100%", "upper": "110%", "rate": "3%"})
    ) == ["components[2].tiers[1].lower: bands must be in ascending order"]
    assert problems(tiered({"lower": "100%", "upper": "110%", "rate": "3%"}, {"lower": "115%", "rate": "5%"})) == [
        "components[2].tiers[1].lower: leaves a gap after the previous band (110%)"
    ]
    assert problems(tiered({"lower": "100%", "rate": "3%"}, {"lower": "115%", "rate": "5%"})) == [
        "components[2].tiers[0].upper: only the last band may be open-ended"
    ]


def test_a_bonus_without_a_quota_is_refused():
    bonus = {"kind": "performance_bonus", "target_bonus": 1000, "curve": [{"attainment": "100%", "payout": "100%"}]}
    assert problems(base(bonus)) == [
        "components[0].quota: a performance bonus needs a quota (the target metric attainment is measured on)"
    ]


def test_a_delivery_weight_below_thirty_percent_is_refused():
    dual = {"kind": "dual_assessment", "applies_to": ["rate"], "quota": "won_revenue", "delivery_weight": "25%"}
    assert problems(base({"id": "rate", "kind": "revenue_rate", "rate": "1%"}, dual)) == [
        "components[1].delivery_weight: must be at least 30% (got 25%)"
    ]


def test_a_mentor_rate_outside_five_to_ten_percent_is_refused():
    assert problems(
        base({"id": "c", "kind": "revenue_rate", "rate": "1%"}, {"kind": "mentor_override", "of": ["c"], "rate": "12%"})
    ) == ["components[1].rate: mentor override rate 12% is outside 5–10%"]


def test_references_must_name_earlier_commission_components():
    data = base(
        {"id": "cap", "kind": "cap", "applies_to": ["later"], "amount": 100},
        {"id": "base", "kind": "base_salary"},
        {"kind": "mentor_override", "of": ["base", "missing"]},
        {"id": "later", "kind": "revenue_rate", "rate": "1%"},
    )
    assert problems(data) == [
        "components[0].applies_to[0]: 'later' must come before this component (components run in plan order)",
        "components[2].of[0]: 'base' is a base_salary, not a commission component",
        "components[2].of[1]: 'missing' is not a component before this one",
    ]


def test_every_problem_is_reported_at_once_including_types_and_unknown_keys():
    data = {
        "plan": "p",
        "version": "one",
        "effective_from": "2026-01-01",
        "owner": "x",
        "components": [
            {"kind": "revenue_rate", "rate": "abc", "rates": "1%"},
            {"kind": "special_award", "metric": "loudest", "prizes": [100]},
            {"kind": "team_pool", "rate": "1%", "role_weights": [{"role": "sales", "weight": "60%"}]},
        ],
    }
    assert problems(data) == [
        "version: must be a whole number",
        "owner: unknown key",
        "components[0].rate: must be a number",
        "components[0].rates: unknown key",
        "components[1].metric: must be one of: fastest_deal, highest_order_value or most_new_customers",
        "components[2].role_weights: role weights must sum to 100% (they sum to 60%)",
    ]


def test_floats_are_refused_because_money_must_stay_exact():
    with pytest.raises(PlanInvalid) as caught:
        parse_plan(base({"kind": "revenue_rate", "rate": 0.03}))
    assert str(caught.value).startswith("components[0].rate: a float is refused")


def test_the_exception_names_the_problem_and_the_key_path():
    with pytest.raises(PlanInvalid, match=r"components\[2\]\.tiers\[1\]\.rate: must not be negative"):
        parse_plan(tiered({"lower": "100%", "upper": "110%", "rate": "3%"}, {"lower": "110%", "rate": "-5%"}))


def test_duplicate_ids_dates_and_yaml_syntax_are_reported():
    data = base({"kind": "base_salary"}, {"kind": "base_salary"})
    data["effective_to"] = "2025-12-31"
    assert problems(data) == [
        "effective_to: must be after effective_from",
        "components[1].id: duplicate component id 'base_salary'",
    ]
    with pytest.raises(PlanInvalid, match="not valid YAML"):
        load_plan("plan: [unclosed")
