"""Around the runs, on both stores: plan versions and assignments, disputes and their thread,
lightning awards within budget, points and the incentive menu, payroll hand-off, what-if."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from chanli.compensation import PlanInvalid, payroll, queries, service
from chanli.compensation.sample import SAMPLE_PLAN
from chanli.compensation.tables import CompMenuItem, CompPlanVersion, CompRun, CompStatement
from chanli.core.auth import Forbidden
from tests.integration.compensation.world import NOV, OCT, PLAN, CompWorld, d


def test_saving_a_plan_makes_a_new_version_only_when_it_changes_and_runs_record_theirs(world: CompWorld):
    same, created = world.act("comp", service.save_plan_version, SAMPLE_PLAN)
    assert (same.version, created) == (1, False)
    richer = SAMPLE_PLAN.replace("rate: 8%", "rate: 10%").replace(
        "effective_from: 2025-01-01", "effective_from: 2026-11-01"
    )
    v2, created = world.act("comp", service.save_plan_version, richer, note="精英阶梯提高")
    assert (v2.version, v2.status, created) == (2, "draft", True)
    assert world.run(NOV).version == 1  # a draft is never run
    world.act("comp", service.publish_version, PLAN, 2)
    assert world.run(NOV).version == 2  # the newest published version in effect at the period's start
    assert world.run(OCT).version == 1  # v2 is not in effect in October
    with world.store.read() as s:
        assert s.scalar(select(func.count(CompPlanVersion.id))) == 2
        assert sorted(s.execute(select(CompRun.period_label, CompRun.version)).all()) == [(OCT, 1), (NOV, 1), (NOV, 2)]


def test_a_bad_plan_is_refused_with_every_problem_at_its_key_path(world: CompWorld):
    bad = SAMPLE_PLAN.replace("rate: 5%", "rate: -5%").replace("kind: clawback", "kind: claw_back")
    with pytest.raises(PlanInvalid) as caught:
        world.act("comp", service.save_plan_version, bad)
    assert [(i.column, i.message) for i in caught.value.issues] == [
        ("components[2].tiers[1].rate", "must not be negative"),
        ("components[5].kind", caught.value.issues[1].message),
    ]
    assert caught.value.issues[1].message.startswith("unknown component kind 'claw_back'; known: ")


def test_a_plan_assigned_to_a_team_covers_that_team_and_the_teams_below_it(world: CompWorld):
    text = SAMPLE_PLAN.replace("plan: sales-standard", "plan: east-only")
    version, _ = world.act("comp", service.save_plan_version, text)
    world.act("comp", service.publish_version, "east-only", version.version)
    world.act("comp", service.assign_plan, "east-only", "team", str(world.org.east), date(2026, 1, 1))
    out = world.act("comp", service.run_period, "east-only", OCT)
    with world.store.read() as s:
        names = sorted(r.person_name for r in queries.list_statements(s, world.principal("admin"), run_id=out.run_id))
    assert names == ["张三", "李四", "王经理", "钱五"]


def test_a_disputed_line_accepted_by_comp_admin_is_paid_by_the_next_run_with_the_whole_thread(world: CompWorld):
    oct_run = world.approve(OCT)
    base = next(ln for ln in world.statement(oct_run.run_id, world.org.sh1).lines if ln.component_id == "base")
    dispute = world.act("sh1", service.open_dispute, base.id, "十月我是骨干，底薪应为 12,500")
    with pytest.raises(ValueError, match="already has open dispute"):
        world.act("sh1", service.open_dispute, base.id, "再问一次")
    with pytest.raises(service.NotFound):
        world.act("bj1", service.comment_dispute, dispute.id, "我也来看看")  # outside 孙六's scope
    world.act("east_mgr", service.comment_dispute, dispute.id, "确认 10 月起调薪")
    with pytest.raises(Forbidden, match=r"may not comp\.resolve"):
        world.act("east_mgr", service.resolve_dispute, dispute.id, accept=True, reason="x", amount="500")
    world.act("comp", service.resolve_dispute, dispute.id, accept=True, reason="调薪单已到", amount="500.00")
    nov = world.run(NOV)
    adj = [ln for ln in world.statement(nov.run_id, world.org.sh1).lines if ln.kind == "dispute_adjustment"]
    assert [(ln.component_id, ln.amount, ln.refs, ln.adjusts_period) for ln in adj] == [
        ("base", d("500.00"), (base.id,), OCT)
    ]
    world.act("comp", service.submit_run, nov.run_id)
    world.act("finance", service.approve_run, nov.run_id)
    with world.store.read() as s:
        detail = queries.get_dispute(s, world.principal("sh1"), dispute.id)
    assert detail is not None
    assert (detail.dispute.status, detail.dispute.settled_run_id) == ("accepted", nov.run_id)
    assert [(m["author"], m["kind"]) for m in detail.thread] == [
        ("sh1", "comment"),
        ("east_mgr", "comment"),
        ("comp", "accepted"),
    ]
    assert "dispute_adjustment" not in world.amounts(world.run("2026-12").run_id, world.org.sh1)


def test_a_rejected_dispute_keeps_its_reason_and_pays_nothing(world: CompWorld):
    oct_run = world.approve(OCT)
    line = world.statement(oct_run.run_id, world.org.sh1).lines[0]
    dispute = world.act("sh1", service.open_dispute, line.id, "底薪算少了")
    with pytest.raises(ValueError, match="needs a reason"):
        world.act("comp", service.resolve_dispute, dispute.id, accept=False, reason=" ")
    world.act("comp", service.resolve_dispute, dispute.id, accept=False, reason="10 月仍为骨干职级，底薪无误")
    with world.store.read() as s:
        detail = queries.get_dispute(s, world.principal("comp"), dispute.id)
    assert detail.dispute.status == "rejected"
    assert detail.thread[-1]["body"] == "驳回：10 月仍为骨干职级，底薪无误"
    assert "dispute_adjustment" not in world.amounts(world.run(NOV).run_id, world.org.sh1)


def test_lightning_awards_stay_within_the_managers_budget_and_are_paid_by_the_next_run(world: CompWorld):
    on = date(2026, 10, 8)
    with pytest.raises(ValueError, match="no lightning-award budget for 2026-10"):
        world.act("east_mgr", service.grant_award, world.org.sh1, "800", "两天内拿下标杆客户", on=on)
    world.act("comp", service.set_award_budget, world.org.east_mgr, "2026-10", "1000")
    award = world.act("east_mgr", service.grant_award, world.org.sh1, "800.00", "两天内拿下标杆客户", on=on)
    with pytest.raises(ValueError, match=re.escape("over budget: 王经理 has granted ¥800.00 of ¥1,000.00 in 2026-10")):
        world.act("east_mgr", service.grant_award, world.org.sh2, "300", "主动复盘", on=on)
    with pytest.raises(service.NotFound):
        world.act("east_mgr", service.grant_award, world.org.bj1, "100", "跨区", on=on)  # not in 王经理's subtree
    world.act("comp", service.decide_award, award.id, approve=True, on=date(2026, 10, 9))
    oct_run = world.run(OCT)
    assert world.amounts(oct_run.run_id, world.org.sh1)["lightning"] == d("800.00")
    world.act("comp", service.submit_run, oct_run.run_id)
    world.act("finance", service.approve_run, oct_run.run_id)
    with world.store.read() as s:
        paid = queries.list_awards(s, world.principal("sh1"))
    assert [(a.id, a.status, a.paid_run_id) for a in paid] == [(award.id, "approved", oct_run.run_id)]
    assert "lightning" not in world.amounts(world.run(NOV).run_id, world.org.sh1)  # paid once


def test_points_awards_are_redeemed_from_the_menu_within_stock_budget_and_balance(world: CompWorld):
    on = date(2026, 10, 8)
    world.act("comp", service.set_award_budget, world.org.east_mgr, "2026-10", "5000")
    item = world.act(
        "comp", service.save_menu_item, "vip-summit", "年度峰会贵宾票", 1500, "1500.00", stock=1, budget="1500.00"
    )
    award = world.act(
        "east_mgr", service.grant_award, world.org.sh1, "2000", "季度客户满意度第一", pay_as="points", on=on
    )
    with pytest.raises(ValueError, match="costs 1500 points; you have 0 available"):
        world.act("sh1", service.request_redemption, item.id)
    world.act("comp", service.decide_award, award.id, approve=True, on=on)
    first = world.act("sh1", service.request_redemption, item.id)
    with pytest.raises(ValueError, match="you have 500 available"):
        world.act("sh1", service.request_redemption, item.id)  # the first request holds its points
    world.act("comp", service.decide_redemption, first.id, approve=True)
    with world.store.read() as s:
        row = s.get(CompMenuItem, item.id)
        stock_and_spent = (row.stock, row.spent)
        mine = queries.my_points(s, world.principal("sh1"))
    assert stock_and_spent == (0, d("1500.00"))
    assert mine["balance"] == 500
    assert [e["delta"] for e in mine["ledger"]] == [2000, -1500]
    with pytest.raises(ValueError, match="out of stock"):
        world.act("sh1", service.request_redemption, item.id)
    assert "lightning" not in world.amounts(world.run(OCT).run_id, world.org.sh1)  # points are not cash


def test_approved_statements_go_to_payroll_with_the_chosen_columns_then_are_marked_paid(world: CompWorld):
    oct_run = world.approve(OCT)
    with world.store.read() as s:
        ids = [r.id for r in queries.list_statements(s, world.principal("finance"), run_id=oct_run.run_id)]
    columns = ["employee_no", "name", "component:base", "component:over_quota", "total"]
    with world.uow("finance") as uow:
        export = service.payroll_handoff(uow, world.principal("finance"), ids, file_format="csv", columns=columns)
        data = payroll.render_payroll(
            payroll.payroll_rows(uow.session, world.principal("finance"), ids), columns, "csv"
        )
        uow.commit()
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == ["工号", "姓名", "base", "over_quota", "应发金额"]
    assert rows[1][1:] == ["张三", "12000.00", "800.00", "12800.00"]
    assert rows[-1] == ["合计", "", "", "", str(export.total)]
    assert export.total == d("12800.00") + d("8000.00") + d("18000.00") + d("12000.00")
    with pytest.raises(ValueError, match="not approved-and-unsent"):
        world.act("finance", service.payroll_handoff, ids, file_format="csv", columns=columns)
    world.act("finance", service.mark_paid, export.id)
    with world.store.read() as s:
        assert set(s.scalars(select(CompStatement.status).where(CompStatement.id.in_(ids)))) == {"paid"}
    book = load_workbook(io.BytesIO(payroll.render_payroll([], ["name", "total"], "xlsx")))
    assert [c.value for c in book.active[1]] == ["姓名", "应发金额"]


def test_what_if_applies_a_draft_version_to_past_periods_without_touching_real_runs(world: CompWorld):
    oct_run = world.approve(OCT)
    richer = SAMPLE_PLAN.replace("rate: 5%", "rate: 6%")
    world.act("comp", service.save_plan_version, richer)
    with world.store.read() as s:
        runs_before = s.scalar(select(func.count(CompRun.id)))
        w = queries.what_if(s, world.principal("comp"), PLAN, [OCT])
        runs_after = s.scalar(select(func.count(CompRun.id)))
    assert runs_before == runs_after == 1
    assert (w.baseline_version, w.draft_version) == (1, 2)
    period = w.periods[0]
    assert (period.revenue, period.baseline, period.paid) == (d("200000.00"), oct_run.total, oct_run.total)
    assert period.draft - period.baseline == d("100.00")  # 张三's ¥10,000 in the 110–120% band: 6% instead of 5%
    assert period.cost_of_sales(period.baseline) == (oct_run.total / d("200000")).quantize(d("0.0001"))
    people = {row[1]: (row[3], row[4]) for row in w.people}
    assert people["张三"] == (d("12800.00"), d("12900.00"))
    assert {t: (b, dr) for t, b, dr in w.tiers}["core"] == (d("24800.00"), d("24900.00"))


def test_the_demo_hook_publishes_the_sample_plan_and_pays_the_months_it_is_given(store):
    """``seed_demo`` on a store with people and orders but no plan and no target: a capacity-split
    company target, the sample plan for the rep role, the menu, and October run and approved."""
    from chanli.compensation import seed_demo
    from tests.factories import Org

    with store.uow() as uow:
        Org(uow)
        uow.commit()
    world = CompWorld(store, None)  # type: ignore[arg-type]
    with world.uow("comp") as uow:
        summary = seed_demo(uow, world.principal("comp"), world.principal("finance"), year=2026, months=[OCT])
        uow.commit()
    assert (summary.plan, summary.version, summary.runs[0][0], summary.runs[0][2]) == (
        PLAN,
        1,
        OCT,
        "approved",
    )
    assert summary.target_plan_id is not None
    with store.read() as s:
        rows = queries.list_statements(s, world.principal("sh1"))
        menu = queries.list_menu(s, world.principal("sh1"))
    assert [r.person_name for r in rows] == ["张三"]
    assert [m.code for m in menu] == ["learning-seat", "summit-ticket", "family-travel"]
