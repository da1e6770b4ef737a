"""Target plans on a real store (SQLite and PostgreSQL): decompose, edit, approve, review,
bottom-up gaps, scope, versions and audit.

The company is ``tests.factories.Org``::

    产力科技 ─┬─ 华东大区 ─┬─ 上海一组: 张三 (core), 李四 (new)
             │           └─ 杭州组:   钱五 (elite)
             └─ 华北大区 ─── 北京组:   孙六 (core)

(every rep hired 2024-03-01, so capacity weights are 1.0 / 0.6 / 1.4 / 1.0).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from chanli.core.audit import entries
from chanli.core.auth import Forbidden
from chanli.core.issues import ValidationFailed
from chanli.targets import (
    COMPANY,
    DecompositionMethod,
    OwnerKind,
    OwnerRef,
    PlanRequest,
    TargetStatus,
    queries,
    service,
)
from tests.integration.targets.conftest import World

D = Decimal
CAPACITY = DecompositionMethod.CAPACITY
EQUAL = DecompositionMethod.EQUAL


def team(i: int) -> OwnerRef:
    return OwnerRef(OwnerKind.TEAM, i)


def person(i: int) -> OwnerRef:
    return OwnerRef(OwnerKind.PERSON, i)


def plan_2027(w: World, username: str = "admin", owner: OwnerRef = COMPANY) -> int:
    with w.uow(username) as uow:
        preview = service.create_plan(
            uow,
            w.principal(username),
            PlanRequest("won_revenue", "2027", D("10000000"), owner, EQUAL, CAPACITY, name="2027 年度目标"),
            w.con,
        )
        uow.commit()
    assert preview.plan_id is not None
    return preview.plan_id


def cells(w: World, plan_id: int, username: str = "admin") -> dict[tuple[str, str], Decimal]:
    with w.store.read() as s:
        grid = queries.plan_grid(s, w.principal(username), plan_id)
    assert grid is not None
    return {(r.name, grid.columns[i].label): c.value for r in grid.rows for i, c in enumerate(r.cells) if c}


def test_ten_million_split_by_capacity_is_saved_exactly_with_a_version_row_and_an_audit_entry(world: World):
    plan_id = plan_2027(world)
    v = cells(world, plan_id)
    assert v[("产力科技", "2027")] == D("10000000.00")
    assert (v[("华东大区", "2027")], v[("华北大区", "2027")]) == (D("7500000.04"), D("2499999.96"))
    assert (v[("张三", "2027-01")], v[("李四", "2027-01")], v[("钱五", "2027-01")]) == (
        D("208333.34"),
        D("125000.00"),
        D("291666.67"),
    )
    for month in [f"2027-{m:02d}" for m in range(1, 13)]:
        assert v[("张三", month)] + v[("李四", month)] == v[("上海一组", month)]
        assert v[("华东大区", month)] + v[("华北大区", month)] == v[("产力科技", month)]
    assert sum(v[("张三", f"2027-{m:02d}")] for m in range(1, 13)) == v[("张三", "2027")]
    assert len(v) == 10 * 17
    with world.store.read() as s:
        [created] = queries.plan_history(s, world.principal("admin"), plan_id)
        audit = [(e.action, e.object_id) for e in entries(s, object_type="target_plan")]
    assert (created.action, created.version, created.after["cells"]) == ("plan.create", 1, 170)
    assert audit == [("target_plan.create", str(plan_id))]


def test_editing_a_reps_month_moves_the_difference_to_their_peer_and_versions_both(world: World):
    plan_id = plan_2027(world)
    with world.store.read() as s:
        grid = queries.plan_grid(s, world.principal("admin"), plan_id)
    assert grid is not None
    jan = next(i for i, c in enumerate(grid.columns) if c.label == "2027-01")
    zhang = next(r for r in grid.rows if r.name == "张三").cells[jan]
    assert zhang is not None
    with world.uow() as uow:
        changed = service.update_cell(
            uow, world.principal("admin"), zhang.target_id, D("200000.00"), reason="张三一月休假", con=world.con
        )
        uow.commit()
    assert len(changed) == 6  # 张三 and 李四: January, Q1 and the year
    v = cells(world, plan_id)
    assert (v[("张三", "2027-01")], v[("李四", "2027-01")], v[("上海一组", "2027-01")]) == (
        D("200000.00"),
        D("133333.34"),
        D("333333.34"),
    )
    assert v[("产力科技", "2027")] == D("10000000.00")
    with world.store.read() as s:
        history = queries.plan_history(s, world.principal("admin"), plan_id)
        plan = queries.get_plan(s, world.principal("admin"), plan_id)
    edit = next(h for h in history if h.target_id == zhang.target_id)
    assert (edit.action, edit.before, edit.after, edit.reason) == (
        "target.edit",
        {"value": "208333.34", "version": 1},
        {"value": "200000.00", "version": 2},
        "张三一月休假",
    )
    assert plan is not None and plan.version == 2


def test_approving_activating_and_closing_move_every_cell_and_a_new_active_plan_supersedes_the_old(world: World):
    first, second = plan_2027(world), plan_2027(world)
    with world.uow("ops") as uow:
        for plan_id in (first, second):
            service.transition_plan(uow, world.principal("ops"), plan_id, TargetStatus.APPROVED, reason="年度会议")
        service.transition_plan(uow, world.principal("ops"), first, TargetStatus.ACTIVE)
        service.transition_plan(uow, world.principal("ops"), second, TargetStatus.ACTIVE, reason="修订版")
        uow.commit()
    with world.store.read() as s:
        plans = {p.id: (p.status, p.version, p.approved_by_name) for p in queries.list_plans(s, world.principal("ops"))}
        grid = queries.plan_grid(s, world.principal("ops"), first)
    assert plans == {first: ("closed", 4, "ops"), second: ("active", 3, "ops")}
    assert grid is not None
    with pytest.raises(ValueError, match="closed: it can move to nothing"), world.uow("ops") as uow:
        service.transition_plan(uow, world.principal("ops"), first, TargetStatus.ACTIVE)
    with pytest.raises(ValueError, match="cell by cell"), world.uow() as uow:
        service.update_cell(uow, world.principal("admin"), grid.rows[3].cells[5].target_id, D(1))  # type: ignore[union-attr]
    with pytest.raises(Forbidden, match=r"may not targets\.approve"), world.uow("east_mgr") as uow:
        service.transition_plan(uow, world.principal("east_mgr"), second, TargetStatus.CLOSED)


def test_a_manager_plans_and_sees_only_their_subtree_and_a_rep_only_their_own_row(world: World):
    company_plan = plan_2027(world)
    east_plan = plan_2027(world, "east_mgr", team(world.org.east))
    with pytest.raises(Forbidden, match="outside your part of the org"):
        plan_2027(world, "east_mgr", team(world.org.north))
    with pytest.raises(Forbidden):
        plan_2027(world, "east_mgr")
    with world.store.read() as s:
        mgr = world.principal("east_mgr")
        seen = [r.name for r in queries.plan_grid(s, mgr, company_plan).rows]  # type: ignore[union-attr]
        rep_rows = [r.name for r in queries.plan_grid(s, world.principal("sh1"), company_plan).rows]  # type: ignore[union-attr]
        assert {p.id for p in queries.list_plans(s, world.principal("bj1"))} == {company_plan}
        assert queries.plan_grid(s, world.principal("bj1"), east_plan) is None
    assert seen == ["华东大区", "上海一组", "张三", "李四", "杭州组", "钱五"]
    assert rep_rows == ["张三"]


def test_bottom_up_commitments_roll_up_and_show_the_gap_to_the_top_down_plan(world: World):
    plan_id = plan_2027(world)
    o = world.org
    with world.uow("east_mgr") as uow:
        written = service.enter_bottom_up(
            uow,
            world.principal("east_mgr"),
            plan_id,
            [
                (person(o.sh1), "2027", D("5600000.00")),
                (person(o.sh2), "2027", D("1500000.00")),
                (team(o.hangzhou), "2027", D("2000000.00")),
            ],
            reason="团队承诺",
        )
        uow.commit()
    assert written == 3
    with world.store.read() as s:
        rows = queries.plan_gaps(s, world.principal("admin"), plan_id)
    gaps = {g.name: (g.top_down, g.bottom_up, g.gap) for g in rows}
    assert gaps["上海一组"] == (D("4000000.00"), D("7100000.00"), D("3100000.00"))
    assert gaps["杭州组"] == (D("3500000.04"), D("2000000.00"), D("-1500000.04"))
    assert gaps["华东大区"] == (D("7500000.04"), D("9100000.00"), D("1599999.96"))
    assert gaps["产力科技"] == (D("10000000.00"), D("9100000.00"), D("-900000.00"))
    assert gaps["北京组"] == (D("2499999.96"), None, None)
    with pytest.raises(ValidationFailed, match="outside your part of the org"), world.uow("east_mgr") as uow:
        service.enter_bottom_up(uow, world.principal("east_mgr"), plan_id, [(person(o.bj1), "2027", D(1))])


def test_the_monthly_review_proposes_catching_up_and_an_accepted_edit_keeps_the_agreed_quarter(world: World):
    with world.uow() as uow:
        q4 = service.create_plan(
            uow,
            world.principal("admin"),
            PlanRequest("won_revenue", "2026-Q4", D("600000"), grains=("month",)),
            world.con,
        )
        assert q4.plan_id is not None
        service.transition_plan(uow, world.principal("admin"), q4.plan_id, TargetStatus.APPROVED)
        service.transition_plan(uow, world.principal("admin"), q4.plan_id, TargetStatus.ACTIVE)
        uow.commit()
    from datetime import date

    with world.uow() as uow:
        req = service.review_plan(uow, world.principal("admin"), q4.plan_id, world.con, as_of=date(2026, 10, 31))
        uow.commit()
        rid = req.id
    assert req.reason == "surplus of 0.00 over 1 closed period(s)"
    assert [(c["period"], c["actual"], c["current"], c["proposed"]) for c in req.proposed["cells"]] == [
        ("2026-10", "200000.00", "200000.00", "200000.00"),
        ("2026-11", None, "200000.00", "200000.00"),
        ("2026-12", None, "200000.00", "200000.00"),
    ]
    with world.uow("east_mgr") as uow, pytest.raises(Forbidden):
        service.review_plan(uow, world.principal("east_mgr"), q4.plan_id, world.con, as_of=date(2026, 10, 31))
    with world.uow() as uow, pytest.raises(ValidationFailed, match=r"must still add up to 400000\.00"):
        service.decide_adjustment(uow, world.principal("admin"), rid, accept=True, edits={"2026-11": D("100000.00")})
    with world.uow() as uow:
        service.decide_adjustment(
            uow,
            world.principal("admin"),
            rid,
            accept=True,
            note="双十二大促",
            edits={"2026-11": D("150000.00"), "2026-12": D("250000.00")},
        )
        uow.commit()
    v = cells(world, q4.plan_id)
    assert [v[("产力科技", m)] for m in ("2026-10", "2026-11", "2026-12", "2026-Q4")] == [
        D("200000.00"),
        D("150000.00"),
        D("250000.00"),
        D("600000.00"),
    ]
    assert v[("华东大区", "2026-11")] + v[("华北大区", "2026-11")] == D("150000.00")
    with world.store.read() as s:
        [a] = queries.list_adjustments(s, world.principal("admin"))
    assert (a.state, a.final, a.decided_by_name) == (
        "accepted",
        {"cells": {"2026-11": "150000.00", "2026-12": "250000.00"}, "edited": ["2026-11", "2026-12"]},
        "admin",
    )


def test_elastic_weights_are_proposed_within_hq_bounds_and_written_when_accepted(world: World):
    from datetime import date

    with world.uow() as uow:
        service.set_weight_bounds(uow, world.principal("admin"), {"new_customers": (D("0.1"), D("0.35"))})
        uow.commit()
    with world.uow("east_mgr") as uow:
        req = service.propose_reweight(
            uow, world.principal("east_mgr"), owner=team(world.org.east), month=date(2026, 11, 1), season="promo"
        )
        uow.commit()
        rid = req.id
    # promo: new customers × 1.5 and revenue × 1.2 would give new customers 0.3659; HQ caps it at 0.35
    # and the other 0.65 is shared in proportion
    assert req.proposed["proposed"] == {
        "won_revenue": "0.4000",
        "new_customers": "0.3500",
        "collected_revenue": "0.1667",
        "visits": "0.0833",
    }
    assert req.proposed["warnings"] == ["new_customers weight held at 0.35 by the HQ bounds"]
    with world.uow("east_mgr") as uow:
        service.decide_adjustment(uow, world.principal("east_mgr"), rid, accept=True)
        uow.commit()
    with world.store.read() as s:
        weights, source = queries.metric_weights(s, team(world.org.east), date(2026, 12, 1))
        default, _ = queries.metric_weights(s, team(world.org.north), date(2026, 12, 1))
    assert (weights["new_customers"], source) == (D("0.35"), f"team:{world.org.east}@2026-11")
    assert default == queries.DEFAULT_METRIC_WEIGHTS
    with world.uow("east_mgr") as uow, pytest.raises(ValidationFailed, match="outside HQ's bounds"):
        service.set_metric_weights(
            uow,
            world.principal("east_mgr"),
            team(world.org.east),
            date(2027, 1, 1),
            {"won_revenue": D("0.5"), "new_customers": D("0.5")},
        )


def test_the_holiday_calendar_seeds_once_and_an_admin_can_add_the_announced_days(world: World):
    from datetime import date

    with world.uow() as uow:
        assert service.seed_holidays(uow) == (52, 0)  # 2026: 33 days off + 6 make-up days; 2027: 13
        assert service.seed_holidays(uow) == (0, 0)
        service.set_holiday(uow, world.principal("admin"), date(2027, 2, 20), is_workday=True, name="春节调休上班")
        uow.commit()
    with world.store.read() as s:
        rows = queries.holidays(s, 2027)
    assert (rows[-1].day.isoformat(), rows[-1].is_workday) == ("2027-10-03", False)
    assert [h.day for h in rows if h.is_workday] == [date(2027, 2, 20)]
