"""The pure demo plan: the company it describes, its consistency, and the patterns analytics
should find (on the plan, without a database; the integration tests check the same on the
built store)."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from chanli.core.auth import Role
from chanli.crm.model import line_net_amount
from chanli.demo import DEMO_LOGINS, DemoPlan, DemoSpec, plan_demo
from chanli.demo.plan import at_work, working_day
from chanli.org import JobRole, TeamKind, Tier
from tests.unit.demo.conftest import TODAY

START = date(2025, 1, 1)


def test_the_same_spec_plans_the_same_company_and_another_seed_a_different_one(default_plan: DemoPlan) -> None:
    assert plan_demo(DemoSpec(today=TODAY)) == default_plan
    other = plan_demo(DemoSpec(today=TODAY, seed=7))
    assert [p.name for p in other.people] != [p.name for p in default_plan.people]
    assert other.counts() != default_plan.counts()


def test_the_history_is_the_months_before_today() -> None:
    spec = DemoSpec(today=TODAY)
    assert spec.start == START
    assert spec.month_starts == tuple(date(2025, m, 1) for m in range(1, 13))
    assert DemoSpec(today=date(2026, 1, 15), months=2).month_starts == (date(2025, 11, 1), date(2025, 12, 1),
                                                                        date(2026, 1, 1))
    with pytest.raises(ValueError, match="months must be 1–36"):
        DemoSpec(today=TODAY, months=0)


def test_the_company_has_three_regions_eight_teams_and_a_leader_for_each(default_plan: DemoPlan) -> None:
    assert default_plan.company.name == "产力科技"
    assert (default_plan.company.currency, default_plan.company.fiscal_year_start_month,
            default_plan.company.time_zone) == ("CNY", 1, "Asia/Shanghai")
    kinds = Counter(t.kind for t in default_plan.teams)
    assert kinds == {TeamKind.COMPANY: 1, TeamKind.REGION: 3, TeamKind.TEAM: 7, TeamKind.PRODUCT_LINE: 1}
    assert [t.name for t in default_plan.teams if t.kind is TeamKind.REGION] == ["华东大区", "华北大区", "华南大区"]
    assert {t.name for t in default_plan.teams if t.kind in (TeamKind.TEAM, TeamKind.PRODUCT_LINE)} == {
        "上海一组", "上海二组", "杭州组", "北京组", "天津组", "广州组", "深圳组", "大客户部"}
    roles = Counter(p.job_role for p in default_plan.people)
    assert roles == {JobRole.DIRECTOR: 4, JobRole.MANAGER: 8, JobRole.SOLUTION: 3, JobRole.SERVICE: 3,
                     JobRole.REP: 61}
    reps = [p for p in default_plan.people if p.job_role is JobRole.REP]
    assert Counter(p.tier for p in reps) == {Tier.ELITE: 16, Tier.CORE: 23, Tier.NEW: 22}
    managers = {p.key: p for p in default_plan.people if p.job_role is JobRole.MANAGER}
    assert all(r.manager_key in managers and managers[r.manager_key].team_key == r.team_key for r in reps)
    assert len(default_plan.territories) == 8
    assert default_plan.territories[0].provinces == ("上海",)


def test_new_hires_joined_within_the_last_year_and_core_and_elite_reps_long_before(default_plan: DemoPlan) -> None:
    reps = [p for p in default_plan.people if p.job_role is JobRole.REP]
    for rep in reps:
        if rep.tier is Tier.NEW:
            assert TODAY - timedelta(days=360) <= rep.hire_date <= TODAY - timedelta(days=30)
        else:
            assert rep.hire_date < START - timedelta(days=365)


def test_every_new_hire_has_an_elite_mentor_from_their_own_team(default_plan: DemoPlan) -> None:
    people = {p.key: p for p in default_plan.people}
    apprentices = [m.apprentice_key for m in default_plan.mentorships]
    assert sorted(apprentices) == sorted(p.key for p in people.values() if p.tier is Tier.NEW
                                         and p.job_role is JobRole.REP)
    for m in default_plan.mentorships:
        mentor, apprentice = people[m.mentor_key], people[m.apprentice_key]
        assert mentor.tier is Tier.ELITE and mentor.team_key == apprentice.team_key
        assert Decimal("0.05") <= m.override_rate <= Decimal("0.10")
        assert (m.start, m.end) == (apprentice.hire_date, apprentice.hire_date + timedelta(days=365))


def test_demo_logins_point_at_region_directors_and_reps_in_two_regions(default_plan: DemoPlan) -> None:
    people = {p.key: p for p in default_plan.people}
    teams = {t.key: t for t in default_plan.teams}
    assert [x.username for x in DEMO_LOGINS] == ["admin", "ops", "comp", "finance", "mgr_east", "mgr_north",
                                                 "mgr_south", "rep_sh", "rep_bj"]
    for login in default_plan.logins:
        if login.role is Role.MANAGER:
            director = people[login.person_key or ""]
            assert director.job_role is JobRole.DIRECTOR and teams[director.team_key].kind is TeamKind.REGION
            assert login.display_name == director.name
    assert teams[people["DEMO-REP-SH1-03"].team_key].name == "上海一组"
    assert teams[people["DEMO-REP-BJ-03"].team_key].name == "北京组"
    assert people["DEMO-REP-SH1-03"].tier is Tier.CORE


def test_nothing_happens_on_or_after_today(default_plan: DemoPlan) -> None:
    now = datetime(2026, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)
    assert all(x.received_at.date() >= START and x.received_at < now for x in default_plan.leads)
    assert all(x.first_contacted_at is None or x.received_at < x.first_contacted_at < now
               for x in default_plan.leads)
    assert all(x.started_at < now for x in default_plan.activities)
    assert all(x.started_at < now for x in default_plan.calls)
    assert all(m.at < now for o in default_plan.opportunities for m in o.moves)
    assert all(o.signed_on < TODAY and all(p.received_on < TODAY for p in o.payments) for o in default_plan.orders)
    assert all(f.received_on < TODAY for f in default_plan.feedback)
    before = [o for o in default_plan.orders if o.signed_on < START]
    assert before and all(not o.is_renewal and o.opportunity_key is None for o in before)  # the installed base


def test_stage_moves_go_forward_in_time_and_closed_deals_end_won_or_lost(default_plan: DemoPlan) -> None:
    orders_by_opp = {o.opportunity_key: o for o in default_plan.orders if o.opportunity_key}
    outcomes = Counter(o.outcome for o in default_plan.opportunities)
    assert set(outcomes) == {"won", "lost", "open"}
    for opp in default_plan.opportunities:
        times = [m.at for m in opp.moves]
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all(m.at.date() >= opp.created_on for m in opp.moves)
        stages = [m.stage for m in opp.moves]
        if opp.outcome == "won":
            assert stages == ["discovery", "proposal", "negotiation", "won"]
            assert orders_by_opp[opp.key].signed_on == opp.closed_on
            assert orders_by_opp[opp.key].net_amount == opp.amount
        elif opp.outcome == "lost":
            assert stages[-1] == "lost" and opp.moves[-1].lost_reason in (
                "价格过高", "选择竞品", "预算取消", "需求变化", "决策延期")
            assert opp.key not in orders_by_opp
        else:
            assert stages == ["discovery", "proposal", "negotiation"][: len(stages)]
            assert opp.expected_close >= TODAY


def test_order_nets_are_sums_of_half_up_rounded_lines_and_payments_never_exceed_them(
    default_plan: DemoPlan,
) -> None:
    for order in default_plan.orders:
        for line in order.lines:
            assert line.net_amount == line_net_amount(line.quantity, line.list_price, line.discount_rate)
            assert Decimal(0) <= line.discount_rate <= Decimal("0.30")
        paid = sum((p.amount for p in order.payments), Decimal(0))
        assert paid <= order.net_amount
        if order.cancelled_on is not None:
            assert order.payments == () and order.signed_on < order.cancelled_on < TODAY
    cancelled = [o for o in default_plan.orders if o.cancelled_on is not None]
    assert 1 <= len(cancelled) <= len(default_plan.orders) // 20


def test_most_orders_are_paid_on_time_some_late_and_some_never(default_plan: DemoPlan) -> None:
    settled = [o for o in default_plan.orders if o.cancelled_on is None and o.signed_on < TODAY - timedelta(days=150)]
    on_time = sum(1 for o in settled if o.payments and max(p.received_on for p in o.payments) <= o.payment_due_on)
    late = sum(1 for o in settled if o.payments and max(p.received_on for p in o.payments) > o.payment_due_on)
    never = sum(1 for o in settled if not o.payments)
    assert on_time > late > never > 0
    assert on_time / len(settled) > 0.5


def test_elite_reps_win_clearly_more_often_than_new_hires() -> None:
    for seed in (88, 1, 2):
        plan = plan_demo(DemoSpec(today=TODAY, seed=seed))
        tier = {p.key: p.tier for p in plan.people}
        decided: dict[Tier, list[bool]] = defaultdict(list)
        for opp in plan.opportunities:
            if opp.outcome != "open":
                decided[tier[opp.owner_key]].append(opp.outcome == "won")
        rate = {t: sum(v) / len(v) for t, v in decided.items()}
        assert rate[Tier.ELITE] > rate[Tier.CORE] > rate[Tier.NEW]
        assert rate[Tier.ELITE] - rate[Tier.NEW] > 0.2, (seed, rate)


def test_renewals_churn_far_more_often_after_a_complaint(default_plan: DemoPlan) -> None:
    complaints = defaultdict(list)
    for f in default_plan.feedback:
        if f.is_complaint:
            complaints[f.account_key].append(f.received_on)
            assert f.satisfaction <= 45 and f.category
    churn: dict[bool, list[bool]] = defaultdict(list)
    for r in default_plan.renewals:
        if r.status != "pending":
            complained = any(d < r.due_on for d in complaints[r.account_key])
            churn[complained].append(r.status == "churned")
    with_complaint = sum(churn[True]) / len(churn[True])
    without = sum(churn[False]) / len(churn[False])
    assert with_complaint > 3 * without
    assert with_complaint - without > 0.25


def test_won_revenue_peaks_in_q4_and_march_and_dips_in_february(default_plan: DemoPlan) -> None:
    by_month: dict[int, Decimal] = defaultdict(Decimal)
    for o in default_plan.orders:
        if o.cancelled_on is None and o.signed_on >= START:
            by_month[o.signed_on.month] += o.net_amount
    mean = sum(by_month.values()) / 12
    assert by_month[2] < Decimal("0.6") * mean
    assert by_month[3] > Decimal("1.2") * mean
    assert by_month[12] > Decimal("1.5") * mean
    quarters = [sum(by_month[m] for m in range(q, q + 3)) for q in (1, 4, 7, 10)]
    assert quarters[3] == max(quarters)


def test_recorded_calls_sound_like_their_deal(default_plan: DemoPlan) -> None:
    outcome = {o.key: o.outcome for o in default_plan.opportunities}
    tones: dict[str, Counter[str]] = defaultdict(Counter)
    for call in default_plan.calls:
        tones[outcome[call.opportunity_key or ""]][call.tone] += 1
        assert call.transcript.count("\n") >= 5
    assert tones["won"]["negative"] == 0 and tones["won"]["positive"] > 3 * tones["won"]["neutral"]
    assert tones["lost"]["positive"] == 0 and tones["lost"]["negative"] > 2 * tones["lost"]["neutral"]


def test_leads_come_from_the_five_sources_and_match_their_owners_region(default_plan: DemoPlan) -> None:
    assert {x.source for x in default_plan.leads} == {"官网", "展会", "转介绍", "电销", "渠道"}
    statuses = Counter(x.status for x in default_plan.leads)
    assert set(statuses) == {"new", "contacted", "disqualified", "converted"}
    converted = {x.key for x in default_plan.leads if x.status == "converted"}
    assert converted == {o.lead_key for o in default_plan.opportunities if o.lead_key}
    people = {p.key: p for p in default_plan.people}
    region_of_team = {"DEMO-T-SH1": "华东", "DEMO-T-SH2": "华东", "DEMO-T-HZ": "华东", "DEMO-T-BJ": "华北",
                      "DEMO-T-TJ": "华北", "DEMO-T-GZ": "华南", "DEMO-T-SZ": "华南"}
    for lead in default_plan.leads:
        team = people[lead.owner_key].team_key
        if team in region_of_team:
            assert lead.region == region_of_team[team]


def test_working_days_and_office_hours() -> None:
    saturday = date(2025, 3, 8)
    assert working_day(saturday, date(2025, 3, 1), date(2025, 4, 1)) == date(2025, 3, 10)
    assert working_day(date(2025, 3, 29), date(2025, 3, 1), date(2025, 3, 31)) == date(2025, 3, 28)
    moment = at_work(random.Random(1), date(2025, 3, 10))
    local = moment.astimezone(ZoneInfo("Asia/Shanghai"))
    assert moment.tzinfo is UTC and local.date() == date(2025, 3, 10) and 9 <= local.hour < 18
