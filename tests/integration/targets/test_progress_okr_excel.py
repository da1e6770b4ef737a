"""Progress and pacing from the metric engine, the OKR tree, and the Excel round trip of the
planning grid, on SQLite and PostgreSQL.

Facts (from ``tests.factories.Org``): 张三 signed 120,000.00 and 孙六 80,000.00 on 2026-10-15.
The Q4 plan is 600,000.00 split equally down months and owners:

| owner  | Oct target |        | owner  | Oct target |
|--------|-----------:|--------|--------|-----------:|
| 公司    | 200,000.00 |        | 钱五    |  50,000.00 |
| 华东大区 | 100,000.00 |        | 孙六    | 100,000.00 |
| 张三    |  25,000.00 |        | 李四    |  25,000.00 |
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.targets import (
    ExpectationBasis,
    KeyResultDraft,
    KeyResultKind,
    ObjectiveDraft,
    OkrLayer,
    OwnerKind,
    OwnerRef,
    PlanRequest,
    queries,
    service,
    workbook,
)
from tests.integration.targets.conftest import World

D = Decimal
AS_OF = date(2026, 10, 15)


def q4_plan(w: World) -> int:
    with w.uow() as uow:
        preview = service.create_plan(
            uow, w.principal("admin"), PlanRequest("won_revenue", "2026-Q4", D("600000"), grains=("month",)), w.con
        )
        uow.commit()
    assert preview.plan_id is not None
    return preview.plan_id


def deal(w: World, owner: int, amount: str, probability: str, close: date) -> None:
    with w.store.uow() as uow:
        crm_service.upsert_opportunities(
            uow,
            [
                crm.OpportunityDraft(
                    name=f"商机{owner}{close}",
                    created_on=date(2026, 9, 1),
                    owner_id=owner,
                    stage="proposal",
                    amount=D(amount),
                    probability=D(probability),
                    expected_close=close,
                    external_id=f"OPP-{owner}-{close}",
                )
            ],
        )
        uow.commit()


def test_progress_reads_actuals_paces_them_and_the_weighted_pipeline_rescues_an_at_risk_rep(world: World):
    q4_plan(world)
    o = world.org
    deal(world, o.hz1, "100000.00", "0.5", date(2026, 10, 28))
    deal(world, o.hz1, "900000.00", "0.9", date(2026, 11, 28))  # closes after October: not in its pipeline
    with world.store.read() as s:
        rows = {
            r.owner_name: r
            for r in queries.progress(
                s, world.principal("admin"), world.con, period_label="2026-10", as_of=AS_OF, only_with_targets=True
            )
        }
    zhang, qian, company = rows["张三"], rows["钱五"], rows["产力科技"]
    assert (zhang.target, zhang.actual, zhang.expected_to_date, zhang.status) == (
        D("25000.00"),
        D("120000.00"),
        D("12096.77"),
        "ahead",
    )
    assert zhang.elapsed == D("0.4839") and zhang.attainment == D("4.8000")
    assert (company.target, company.actual, company.status) == (D("200000.00"), D("200000.00"), "ahead")
    assert (qian.target, qian.actual, qian.projected_with_pipeline, qian.status) == (
        D("50000.00"),
        D("0.00"),
        D("50000.00"),
        "behind",
    )
    assert "pipeline would still reach the target" in qian.reason
    assert len(rows) == 10


def test_working_day_pacing_follows_the_holiday_calendar_and_quarters_sum_their_months(world: World):
    q4_plan(world)
    with world.uow() as uow:
        service.seed_holidays(uow)
        uow.commit()
    zhang = OwnerRef(OwnerKind.PERSON, world.org.sh1)
    with world.store.read() as s:
        [oct_] = queries.progress(
            s,
            world.principal("sh1"),
            world.con,
            period_label="2026-10",
            owners=[zhang],
            as_of=AS_OF,
            basis=ExpectationBasis.WORKING_DAYS,
        )
        [q4] = queries.progress(
            s, world.principal("sh1"), world.con, period_label="2026-Q4", owners=[zhang], as_of=AS_OF
        )
        with pytest.raises(LookupError, match="outside your part of the org"):
            queries.progress(
                s,
                world.principal("sh1"),
                world.con,
                period_label="2026-10",
                owners=[OwnerRef(OwnerKind.PERSON, world.org.bj1)],
                as_of=AS_OF,
            )
    # 8, 9, 10 (调休 Saturday), 12–15 October: 7 of the month's 18 working days
    assert (oct_.elapsed, oct_.expected_to_date) == (D("0.3889"), D("9722.22"))
    assert (q4.target, q4.actual, q4.target_id is not None) == (D("75000.00"), D("120000.00"), True)


def test_a_team_board_lists_its_teams_and_reps_furthest_behind_first(world: World):
    q4_plan(world)
    with world.store.read() as s:
        head, rows = queries.team_board(
            s, world.principal("east_mgr"), world.con, period_label="2026-10", metric_code="won_revenue", as_of=AS_OF
        )
        _, shanghai = queries.team_board(
            s,
            world.principal("east_mgr"),
            world.con,
            period_label="2026-10",
            metric_code="won_revenue",
            as_of=AS_OF,
            team=OwnerRef(OwnerKind.TEAM, world.org.shanghai),
        )
    assert head is not None and (head.owner_name, head.actual, head.target) == (
        "华东大区",
        D("120000.00"),
        D("100000.00"),
    )
    assert [(r.name, r.progress.status) for r in rows] == [("杭州组", "at_risk"), ("上海一组", "ahead")]
    assert [(r.name, r.tier) for r in shanghai] == [("李四", "new"), ("张三", "core")]


def test_the_okr_tree_rolls_metric_and_manual_key_results_up_by_weight(world: World):
    east = OwnerRef(OwnerKind.TEAM, world.org.east)
    with world.uow() as uow:
        admin = world.principal("admin")
        top = service.create_objective(uow, admin, ObjectiveDraft(OkrLayer.STRATEGIC, "年度一千万", "2026"))
        campaign = service.create_objective(
            uow, admin, ObjectiveDraft(OkrLayer.CAMPAIGN, "华东冲刺", "2026-Q4", east, parent_id=top.id)
        )
        service.add_key_result(
            uow,
            admin,
            campaign.id,
            KeyResultDraft("华东成交", KeyResultKind.METRIC, D("240000"), metric_code="won_revenue"),
        )
        manual = service.add_key_result(
            uow, admin, campaign.id, KeyResultDraft("标杆客户拜访", KeyResultKind.MANUAL, D(10))
        )
        uow.commit()
        top_id, campaign_id, manual_id = top.id, campaign.id, manual.id
    with world.uow("east_mgr") as uow:
        service.check_in(uow, world.principal("east_mgr"), manual_id, D(8), note="八家已拜访")
        uow.commit()
    with world.uow("sh1") as uow:
        draft = ObjectiveDraft(OkrLayer.TACTICAL, "拿下浦东客户", "2026-Q4", parent_id=campaign_id)
        mine = service.create_objective(uow, world.principal("sh1"), draft)
        uow.commit()
        mine_id = mine.id
    with pytest.raises(ValueError, match="cannot sit under"), world.uow() as uow:
        service.create_objective(
            uow, world.principal("admin"), ObjectiveDraft(OkrLayer.STRATEGIC, "倒挂", "2026", parent_id=campaign_id)
        )
    with world.store.read() as s:
        tree = {n.id: n for n in queries.okr_tree(s, world.principal("admin"), world.con, as_of=date(2026, 12, 31))}
        rep_tree = [n.id for n in queries.okr_tree(s, world.principal("sh1"), world.con, as_of=date(2026, 12, 31))]
    campaign_node = tree[campaign_id]
    assert [(k.title, k.current, k.progress) for k in campaign_node.key_results] == [
        ("华东成交", D("120000"), D("0.5000")),
        ("标杆客户拜访", D("8"), D("0.8000")),
    ]
    # the campaign has its two key results and the rep's tactical objective (no key results: 0) as parts
    assert campaign_node.progress == D("0.4333")
    assert tree[top_id].progress == D("0.4333")
    assert [tree[i].depth for i in (top_id, campaign_id, mine_id)] == [0, 1, 2]
    assert rep_tree == [mine_id]


def _workbook(data: bytes):  # type: ignore[no-untyped-def]
    wb = load_workbook(io.BytesIO(data))
    return wb, wb.worksheets[0]


def _row_of(ws, owner_key: str) -> int:  # type: ignore[no-untyped-def]
    return next(r for r in range(5, ws.max_row + 1) if ws.cell(row=r, column=1).value == owner_key)


def _save(wb) -> bytes:  # type: ignore[no-untyped-def]
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_the_planning_grid_goes_to_excel_and_back_moving_target_between_reps(world: World):
    plan_id = q4_plan(world)
    with world.store.read() as s:
        data = workbook.export_plan(s, world.principal("admin"), plan_id)
    wb, ws = _workbook(data)
    assert [ws.cell(row=4, column=c).value for c in range(1, 9)] == [
        "负责人编号 owner",
        "负责人 name",
        "类型 kind",
        "2026-10",
        "2026-11",
        "2026-12",
        "2026-Q4",
        None,
    ]
    zhang, li = _row_of(ws, f"person:{world.org.sh1}"), _row_of(ws, f"person:{world.org.sh2}")
    shanghai = _row_of(ws, f"team:{world.org.shanghai}")
    assert ws.cell(row=shanghai, column=4).value == f"=SUM(D{zhang},D{li})"
    assert ws.cell(row=zhang, column=7).value == f"=SUM(D{zhang}:F{zhang})"
    ws.cell(row=zhang, column=4).value = 30000.5
    ws.cell(row=li, column=4).value = 19999.5
    with world.uow() as uow:
        result = workbook.import_plan(uow, world.principal("admin"), plan_id, _save(wb), source="Q4.xlsx")
        uow.commit()
    assert (result.applied, result.changed, result.issues) == (True, 4, [])
    zhang_ref = OwnerRef(OwnerKind.PERSON, world.org.sh1)
    with world.store.read() as s:
        [q4] = queries.progress(
            s, world.principal("admin"), world.con, period_label="2026-Q4", owners=[zhang_ref], as_of=AS_OF
        )
    assert q4.target == D("80000.50")


def test_a_bad_workbook_reports_every_bad_cell_with_its_row_and_column_and_changes_nothing(world: World):
    plan_id = q4_plan(world)
    with world.store.read() as s:
        wb, ws = _workbook(workbook.export_plan(s, world.principal("admin"), plan_id))
    zhang, li = _row_of(ws, f"person:{world.org.sh1}"), _row_of(ws, f"person:{world.org.sh2}")
    qian = _row_of(ws, f"person:{world.org.hz1}")
    shanghai = _row_of(ws, f"team:{world.org.shanghai}")
    ws.cell(row=zhang, column=4).value = "很多"
    ws.cell(row=li, column=5).value = -5
    ws.cell(row=qian, column=6).value = 100.001
    ws.cell(row=zhang, column=5).value = None
    ws.cell(row=shanghai, column=4).value = 1  # a number typed over the team's formula
    with world.uow() as uow:
        result = workbook.import_plan(uow, world.principal("admin"), plan_id, _save(wb), source="Q4.xlsx")
    assert not result.applied
    assert [(i.row, i.column, i.code, i.value) for i in result.issues] == [
        (zhang, "D (2026-10)", "workbook.number", "很多"),
        (zhang, "E (2026-11)", "workbook.empty", None),
        (li, "E (2026-11)", "workbook.negative", "-5"),
        (qian, "F (2026-12)", "workbook.quantum", "100.001"),
    ]
    for row, col in ((zhang, 4), (zhang, 5), (li, 5), (qian, 6)):
        ws.cell(row=row, column=col).value = 100
    with world.uow() as uow:
        result = workbook.import_plan(uow, world.principal("admin"), plan_id, _save(wb), source="Q4.xlsx")
    assert [(i.row, i.column, i.code) for i in result.issues] == [(shanghai, "D (2026-10)", "workbook.sum")]
    assert result.issues[0].message.startswith("should be 25100.00 (the sum it stands for), found 1")
    with world.store.read() as s:
        plan = queries.get_plan(s, world.principal("admin"), plan_id)
    assert plan is not None and plan.version == 1
