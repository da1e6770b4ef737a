"""Runs on the store (SQLite and PostgreSQL): explained statements, idempotence and byte-identical
re-runs, all-or-nothing on a crash, maker-checker, the period lock, retro adjustments and
clawbacks across periods, and row scope on statements."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from chanli.compensation import queries, service
from chanli.compensation.tables import CompPeriodLock, CompRun, CompStatement, CompStatementLine
from chanli.core.audit import entries
from chanli.core.issues import ValidationFailed
from chanli.crm import service as crm_service
from tests.factories import create_order, create_payment
from tests.integration.compensation.world import NOV, OCT, CompWorld, d


def _dump(world: CompWorld, run_id: int) -> str:
    """Everything a run wrote, as canonical JSON (ids left out: they grow with every write)."""
    with world.store.read() as s:
        st = s.execute(
            select(CompStatement.person_id, CompStatement.total, CompStatement.line_count)
            .where(CompStatement.run_id == run_id)
            .order_by(CompStatement.person_id)
        ).all()
        lines = s.execute(
            select(
                CompStatementLine.person_id,
                CompStatementLine.seq,
                CompStatementLine.component_id,
                CompStatementLine.amount,
                CompStatementLine.formula,
                CompStatementLine.inputs,
                CompStatementLine.sources,
                CompStatementLine.attribution,
            )
            .where(CompStatementLine.run_id == run_id)
            .order_by(CompStatementLine.person_id, CompStatementLine.seq)
        ).all()
    return json.dumps([[list(map(str, r)) for r in st], [list(map(str, r)) for r in lines]], ensure_ascii=False)


def test_a_run_writes_one_explained_statement_per_rep_whose_lines_sum_to_the_total(world: CompWorld):
    """张三 (core): quota ¥100,000, booked ¥120,000 on 10-15, collected in full on 10-20.

    | line      | amount     | why                                                    |
    |-----------|------------|--------------------------------------------------------|
    | 基本工资   | 12,000.00  | core monthly base                                      |
    | 绩效奖金   | 7,200.00   | 6,000 × curve(120%) = 120% × collection 100% band 1.0  |
    | 阶梯提成   | 800.00     | 10,000 × 3% + 10,000 × 5%                              |
    """
    with world.uow("admin") as uow:
        create_payment(uow, world.org.order_sh1, "120000.00", date(2026, 10, 20))
        uow.commit()
    out = world.run(OCT)
    assert (out.created, out.changed, out.status, out.errors, out.statements) == (True, True, "draft", 0, 4)
    sh1 = world.statement(out.run_id, world.org.sh1)
    assert [(ln.component_id, ln.amount) for ln in sh1.lines] == [
        ("base", d("12000.00")),
        ("bonus", d("7200.00")),
        ("over_quota", d("800.00")),
    ]
    assert sh1.statement.total == sh1.lines_total == d("20000.00")
    assert sh1.lines[2].formula.startswith("业绩 ¥120,000.00 ÷ 定额 ¥100,000.00 = 达成率 120.00%")
    assert dict(sh1.lines[2].inputs)["attainment"] == "1.2000"
    assert sh1.lines[2].sources == (f"order:{world.org.order_sh1}",)
    assert sh1.lines[2].attribution == ((world.org.order_sh1, d("800.00")),)
    assert len(out.fingerprint) == 64
    with world.store.read() as s:
        audit = [e.action for e in entries(s, object_type="comp_run", object_id=str(out.run_id))]
    assert audit == ["comp_run.compute"]


def test_running_the_same_inputs_again_changes_nothing_and_returning_to_them_is_byte_identical(world: CompWorld):
    first = world.run(OCT)
    before = _dump(world, first.run_id)
    again = world.run(OCT)
    assert (again.run_id, again.created, again.changed, again.fingerprint) == (
        first.run_id,
        False,
        False,
        first.fingerprint,
    )
    with world.uow("admin") as uow:
        extra = create_order(uow, world.org.acc_sh1, world.org.sh1, "30000.00", signed_on=date(2026, 10, 25))
        uow.commit()
    changed = world.run(OCT)
    assert (changed.run_id, changed.changed) == (first.run_id, True)
    assert changed.fingerprint != first.fingerprint
    assert _dump(world, first.run_id) != before
    with world.uow("admin") as uow:
        crm_service.soft_delete(uow, "order", extra, reason="录入错误")
        uow.commit()
    back = world.run(OCT)
    assert (back.fingerprint, back.result_hash) == (first.fingerprint, first.result_hash)
    assert _dump(world, first.run_id) == before
    with world.store.read() as s:
        assert s.scalar(select(func.count(CompRun.id))) == 1


def test_a_run_that_crashes_while_writing_leaves_no_run_and_no_statement(world: CompWorld, monkeypatch):
    real = service._write_statements

    def crash(*args, **kwargs):
        real(*args, **kwargs)  # statements are written … then the process dies
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "_write_statements", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        world.run(OCT)
    with world.store.read() as s:
        counts = [s.scalar(select(func.count(t.id))) for t in (CompRun, CompStatement, CompStatementLine)]
    assert counts == [0, 0, 0]


def test_comp_admin_submits_finance_approves_and_the_period_locks_for_good(world: CompWorld):
    out = world.run(OCT)
    world.act("comp", service.submit_run, out.run_id)
    run = world.act("finance", service.approve_run, out.run_id)
    assert (run.status, run.submitted_by_name, run.approved_by_name) == ("approved", "comp", "finance")
    with world.store.read() as s:
        assert s.scalar(select(func.count(CompPeriodLock.id))) == 1
        statuses = set(s.scalars(select(CompStatement.status).where(CompStatement.run_id == out.run_id)))
    assert statuses == {"approved"}
    with pytest.raises(service.PeriodLocked, match="sales-standard 2026-10 is locked"):
        world.run(OCT)


def test_the_person_who_ran_or_submitted_a_run_may_not_approve_it(world: CompWorld):
    out = world.run(OCT, username="admin")
    world.act("admin", service.submit_run, out.run_id)
    with pytest.raises(service.MakerCheckerRefused, match="a different person must approve it"):
        world.act("admin", service.approve_run, out.run_id)
    with world.store.read() as s:
        assert s.get(CompRun, out.run_id).status == "submitted"
        assert s.scalar(select(func.count(CompPeriodLock.id))) == 0
    assert world.act("finance", service.approve_run, out.run_id).status == "approved"


def test_a_run_with_errors_cannot_be_submitted_and_finance_can_send_a_run_back(world: CompWorld):
    with world.uow("admin") as uow:
        from tests.factories import create_person

        create_person(uow, world.org.beijing, "周七", manager_id=world.org.north_mgr)  # a rep with no quota
        uow.commit()
    out = world.run(OCT)
    assert out.errors == 2  # no quota: no bonus line, no commission line
    assert {i.code for i in out.issues if i.is_error} == {"comp.no_quota"}
    with pytest.raises(ValidationFailed, match="has 2 error"):
        world.act("comp", service.submit_run, out.run_id)


def test_finance_can_send_a_submitted_run_back_with_a_reason_and_it_can_be_run_again(world: CompWorld):
    out = world.run(OCT)
    world.act("comp", service.submit_run, out.run_id)
    with pytest.raises(service.RunConflict, match="finance must reject it"):
        world.run(OCT)
    run = world.act("finance", service.reject_run, out.run_id, "上海一组回款数据未更新")
    assert (run.status, run.rejected_reason) == ("draft", "上海一组回款数据未更新")
    assert world.run(OCT).run_id == out.run_id


def test_a_late_order_in_a_locked_period_is_paid_as_a_retro_adjustment_in_the_next_run(world: CompWorld):
    """October is approved with 张三 at ¥120,000. Then a ¥10,000 order signed 10-28 is entered
    late: October never changes; November carries 追溯调整 of the commission difference
    (¥1,600 − ¥800 = ¥800: attainment 130% now reaches the 8% band) referring to October's line,
    attributed to the orders by the difference of what each now earns and earned (R2)."""
    oct_run = world.approve(OCT)
    original = world.statement(oct_run.run_id, world.org.sh1)
    oct_line = next(ln for ln in original.lines if ln.component_id == "over_quota")
    with world.uow("admin") as uow:
        late = create_order(uow, world.org.acc_sh1, world.org.sh1, "10000.00", signed_on=date(2026, 10, 28))
        uow.commit()
    nov = world.run(NOV)
    retro = [ln for ln in world.statement(nov.run_id, world.org.sh1).lines if ln.kind == "retro_adjustment"]
    assert [(ln.component_id, ln.amount, ln.adjusts_period, ln.refs) for ln in retro] == [
        ("over_quota", d("800.00"), OCT, (oct_line.id,))
    ]
    assert retro[0].formula.startswith("2026-10 阶梯提成 按现有数据重算 ¥1,600.00 − 已发放 ¥800.00 = 追溯调整 ¥800.00")
    assert dict(retro[0].attribution) == {world.org.order_sh1: d("676.92"), late: d("123.08")}
    assert world.statement(oct_run.run_id, world.org.sh1).lines == original.lines  # the locked period is untouched
    world.act("comp", service.submit_run, nov.run_id)
    world.act("finance", service.approve_run, nov.run_id)
    dec = world.run("2026-12")
    assert "retro_adjustment" not in world.amounts(dec.run_id, world.org.sh1)  # paid once, never twice


def test_an_order_cancelled_after_its_period_locked_is_clawed_back_in_the_first_open_period(world: CompWorld):
    oct_run = world.approve(OCT)
    paid = world.statement(oct_run.run_id, world.org.sh1)
    commission = next(ln for ln in paid.lines if ln.component_id == "over_quota")
    with world.uow("admin") as uow:
        crm_service.cancel_order(uow, world.org.order_sh1, on=date(2026, 11, 3), reason="客户取消")
        uow.commit()
    nov = world.run(NOV)
    claw = [ln for ln in world.statement(nov.run_id, world.org.sh1).lines if ln.kind == "clawback"]
    assert [(ln.amount, ln.refs, ln.attribution) for ln in claw] == [
        (d("-800.00"), (commission.id,), ((world.org.order_sh1, d("-800.00")),))
    ]
    assert claw[0].formula.startswith(f"订单#{world.org.order_sh1} 已于 2026-11-03 取消")
    assert world.run(NOV).changed is False  # re-running claws nothing twice
    world.act("comp", service.submit_run, nov.run_id)
    world.act("finance", service.approve_run, nov.run_id)
    assert "claw" not in world.amounts(world.run("2026-12").run_id, world.org.sh1)


def test_the_duckdb_engine_computes_the_volume_components_set_based_and_agrees(world: CompWorld):
    out = world.run(OCT, engine="duckdb")
    assert out.engine_check == "duckdb agrees on 1 amounts"
    assert out.errors == 0


def test_reps_see_their_own_approved_statements_and_managers_their_subtree(world: CompWorld):
    out = world.run(OCT)
    with world.store.read() as s:
        assert queries.list_statements(s, world.principal("sh1")) == []  # a draft is not shown to people
    world.act("comp", service.submit_run, out.run_id)
    world.act("finance", service.approve_run, out.run_id)
    with world.store.read() as s:
        mine = queries.list_statements(s, world.principal("sh1"))
        east = queries.list_statements(s, world.principal("east_mgr"))
        every = queries.list_statements(s, world.principal("finance"))
        other = next(r for r in every if r.person_id == world.org.bj1)
        assert queries.get_statement(s, world.principal("sh1"), other.id) is None
    assert [r.person_name for r in mine] == ["张三"]
    assert sorted(r.person_name for r in east) == ["张三", "李四", "钱五"]
    assert len(every) == 4
