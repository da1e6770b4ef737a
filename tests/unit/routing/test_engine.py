"""The pure routing engine, policy by policy, with the explanation it gives; fairness and
determinism over 10k leads."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from chanli.core.auth import Principal, Role
from chanli.routing import (
    DEFAULT_POLICY,
    LeadIn,
    Outcome,
    PolicyStep,
    Rep,
    RoutingPolicy,
    RoutingState,
    TerritoryIn,
    route,
)

ADMIN = Principal(user_id=0, username="test", display_name="test", role=Role.ADMIN)
T0 = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
EAST = TerritoryIn("EAST", "华东", 10, frozenset({"上海", "浙江"}))
NORTH = TerritoryIn("NORTH", "华北", 20, frozenset({"北京"}), frozenset({"能源"}))


def rep(pid: int, team: int, name: str, tier: str = "core", **kw: object) -> Rep:
    return Rep(pid, name, (1, team), tier, **kw)  # type: ignore[arg-type]


ZHANG = rep(1, 10, "张三", load=12)
LI = rep(2, 10, "李四", tier="new", load=3)
QIAN = rep(3, 10, "钱五", tier="elite", industries=frozenset({"制造"}), products=frozenset({"ERP"}))
SUN = rep(4, 20, "孙六", load=5)
ROSTER = [ZHANG, LI, QIAN, SUN]


def lead(i: int = 1, **kw: object) -> LeadIn:
    return LeadIn(i, T0 + timedelta(minutes=i), **kw)  # type: ignore[arg-type]


def one(ld: LeadIn, roster: list[Rep] = ROSTER, policy: RoutingPolicy = DEFAULT_POLICY):  # type: ignore[no-untyped-def]
    return route([ld], roster, [EAST, NORTH], {None: policy}).assignments[0]


def test_territory_then_lowest_load_relative_to_the_cap() -> None:
    """| rep  | tier  | load | cap | load/cap |   → 钱五 0/40 is lowest in 华东
       | 张三 | core  | 12   | 30  | 0.40     |
       | 李四 | new   | 3    | 20  | 0.15     |
       | 钱五 | elite | 0    | 40  | 0.00     |"""
    a = one(lead(province="上海"))
    assert (a.person_id, a.outcome, a.queue) == (3, Outcome.ASSIGNED, "team:10")
    assert a.explain() == "匹配区域 华东；负载最低 0/40"
    assert a.explain("en") == "matched territory 华东, lowest load 0/40"


def test_account_owner_first_even_outside_the_territory() -> None:
    a = one(lead(province="上海", account_owner_id=4))
    assert (a.person_id, a.outcome) == (4, Outcome.OWNER)
    assert a.explain() == "老客户，归属负责人 孙六"


@pytest.mark.parametrize(("change", "why"), [
    ({"on_leave": True}, "休假中"), ({"active": False}, "已停用"), ({"load": 30}, "已满额"),
])
def test_an_owner_on_leave_inactive_or_at_cap_is_skipped_with_the_reason(change: dict[str, object], why: str) -> None:
    roster = [_with(ZHANG, **change), LI, QIAN, SUN]
    a = one(lead(province="上海", account_owner_id=1), roster)
    assert a.person_id == 3
    assert a.reasons[0].text() == f"客户负责人 张三 {why}，改为自动分配"


def _with(r: Rep, **change: object) -> Rep:
    from dataclasses import replace

    return replace(r, **change)  # type: ignore[arg-type]


def test_low_score_goes_to_the_automated_queue_and_high_score_to_elite_reps() -> None:
    low = one(lead(province="北京", score=Decimal(19)))
    assert (low.person_id, low.outcome, low.queue) == (None, Outcome.AUTOMATED, "automated_outreach")
    high = one(lead(province="上海", score=Decimal(80)), [ZHANG, _with(LI, load=0), QIAN, SUN])
    assert high.person_id == 3
    assert high.explain() == "匹配区域 华东；线索评分 80 ≥ 80，优先精英销售；负载最低 0/40"
    no_elite = one(lead(province="北京", score=Decimal(95)))
    assert no_elite.person_id == 4
    assert "无可用精英销售，放宽" in no_elite.explain()


def test_a_grade_a_account_counts_as_high_intent() -> None:
    a = one(lead(province="上海", account_grade="A"), [_with(ZHANG, load=0), LI, QIAN, SUN])
    assert a.person_id == 3
    assert a.reasons[1].code == "grade_a"


def test_industry_and_product_skills_narrow_when_someone_has_them_and_are_ignored_otherwise() -> None:
    skilled = one(lead(province="上海", industry="制造", product="ERP"), [_with(QIAN, load=39), ZHANG, LI, SUN])
    assert skilled.person_id == 3
    assert skilled.explain() == "匹配区域 华东；行业技能匹配 制造；产品技能匹配 ERP；负载最低 39/40"
    nobody = one(lead(province="上海", industry="医疗"))
    assert nobody.explain() == "匹配区域 华东；无 医疗 行业技能的销售，忽略；负载最低 0/40"


def test_when_the_matching_reps_are_full_routing_widens_one_level() -> None:
    a = one(lead(province="上海", industry="制造"), [_with(QIAN, load=40), ZHANG, LI, SUN])
    assert a.person_id == 2
    assert a.explain() == "匹配区域 华东；行业技能匹配 制造；匹配的销售已满额，放宽一级；负载最低 3/20"


def test_territory_by_industry_and_no_territory_means_company_wide() -> None:
    assert one(lead(industry="能源")).person_id == 4
    a = one(lead(province="西藏"))
    assert a.queue == "company"
    assert a.reasons[0].text() == "未匹配区域，全公司分配"


def test_nobody_free_leaves_the_lead_unrouted() -> None:
    roster = [_with(r, on_leave=True) for r in ROSTER]
    a = one(lead(province="上海"), roster)
    assert (a.person_id, a.outcome) == (None, Outcome.UNROUTED)
    assert a.explain() == "区域 华东 无可用销售，放宽到全公司；无可用销售（均休假、停用或满额），待经理分配"


def test_a_team_policy_overrides_the_company_default_for_its_territory() -> None:
    east_rr = RoutingPolicy(steps=(PolicyStep.TERRITORY, PolicyStep.ROUND_ROBIN), team_id=10)
    result = route([lead(i, province="上海") for i in range(1, 7)], ROSTER, [EAST, NORTH],
                   {None: DEFAULT_POLICY, 10: east_rr})
    people = [a.person_id for a in result.assignments]
    assert sorted(Counter(people).values()) == [2, 2, 2]  # strict rotation, not lowest load
    assert people[:3] == people[3:]
    assert result.assignments[0].explain().endswith("轮询（华东）")


def test_excluded_people_are_skipped_for_an_sla_reroute() -> None:
    result = route([lead(province="上海")], ROSTER, [EAST], {None: DEFAULT_POLICY}, exclude={1: frozenset({3})})
    a = result.assignments[0]
    assert a.person_id == 2
    assert a.reasons[0].text() == "跳过超时未联系的 钱五"


def test_leads_of_better_graded_accounts_are_routed_first() -> None:
    leads = [lead(1, province="上海", account_grade="C"), lead(2, province="上海", account_grade="A"),
             lead(3, province="上海")]
    assert [a.lead_id for a in route(leads, ROSTER, [EAST], {None: DEFAULT_POLICY}).assignments] == [2, 1, 3]


# --- fairness and determinism -----------------------------------------------------------------


def _crowd(n: int, caps: list[int]) -> list[Rep]:
    return [Rep(100 + i, f"销售{i}", (1, 10), "core", capacity=caps[i % len(caps)]) for i in range(n)]


RR = RoutingPolicy(steps=(PolicyStep.TERRITORY, PolicyStep.ROUND_ROBIN))
CAP = RoutingPolicy(steps=(PolicyStep.TERRITORY, PolicyStep.CAPACITY))


def test_round_robin_spreads_10k_leads_evenly_within_one_lead() -> None:
    reps = _crowd(7, [100_000])
    result = route([lead(i, province="上海") for i in range(10_000)], reps, [EAST], {None: RR})
    counts = Counter(a.person_id for a in result.assignments)
    assert sorted(counts.values()) == [1428, 1428, 1428, 1429, 1429, 1429, 1429]


def test_capacity_weighting_spreads_10k_leads_in_proportion_to_the_caps_within_half_a_percent() -> None:
    reps = _crowd(6, [2000, 4000, 6000])  # shares 1/12, 2/12, 3/12 per rep
    result = route([lead(i, province="上海") for i in range(10_000)], reps, [EAST], {None: CAP})
    counts = Counter(a.person_id for a in result.assignments)
    for r in reps:
        expected = 10_000 * (r.capacity or 0) / 24_000
        assert abs(counts[r.person_id] - expected) <= 0.005 * 10_000, (r.person_id, counts[r.person_id], expected)


def test_same_inputs_give_the_same_assignments_in_any_input_order() -> None:
    rng = random.Random(3)
    leads = [lead(i, province=rng.choice(["上海", "北京", "浙江", "西藏"]), industry=rng.choice(["制造", None]),
                  score=Decimal(rng.randint(0, 100))) for i in range(500)]
    first = route(leads, ROSTER, [EAST, NORTH], {None: DEFAULT_POLICY})
    shuffled = leads[:]
    rng.shuffle(shuffled)
    second = route(shuffled, list(reversed(ROSTER)), [NORTH, EAST], {None: DEFAULT_POLICY})
    assert first.assignments == second.assignments


def test_a_newcomer_joins_the_back_of_the_rotation_without_bias_to_id_or_seniority() -> None:
    """Veterans 101–103 have taken 30 leads; newcomer 50 (a lower id) joins. Over the next 40
    leads the newcomer gets exactly a fair quarter — neither flooded to catch up nor starved."""
    veterans = _crowd(3, [10_000])
    warm = route([lead(i, province="上海") for i in range(30)], veterans, [EAST], {None: RR})
    newcomer = Rep(50, "新人", (1, 10), "new", capacity=10_000)
    nxt = route([lead(100 + i, province="上海") for i in range(40)], [*veterans, newcomer], [EAST], {None: RR},
                warm.state)
    counts = Counter(a.person_id for a in nxt.assignments)
    assert counts == {50: 10, 100: 10, 101: 10, 102: 10}
    fresh = route([lead(i, province="上海") for i in range(3)], _crowd(3, [10_000]), [EAST], {None: RR},
                  RoutingState())
    assert [a.person_id for a in fresh.assignments] == [102, 100, 101]  # a hash of queue and person, not id order


def test_policy_validation_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="scores must satisfy"):
        RoutingPolicy(low_score=90, high_score=10)
    with pytest.raises(ValueError, match="only once"):
        RoutingPolicy(steps=(PolicyStep.TERRITORY, PolicyStep.TERRITORY))
