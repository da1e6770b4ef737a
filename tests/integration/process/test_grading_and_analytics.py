"""The set-based parts of the process on both stores: the nightly grading run (facts by Ibis,
grade by the pure rule, changes kept and announced) and process analytics agreeing with
their slow references."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from chanli.bootstrap import Container
from chanli.core.audit import entries
from chanli.core.engine import connect_store
from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.process import DEFAULT_PLAYBOOK, GradeChanged, GradingPolicy, batch, rules, service
from chanli.process.tables import AccountGradeChange
from tests.factories import Org, create_account, create_opportunity, create_order
from tests.unit.routing.test_engine import ADMIN

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _big_customer(uow, org: Org) -> int:  # type: ignore[no-untyped-def]
    """| signal     | value                        | score |
       | revenue    | ¥900k in the last 12 months  | 90    |
       | growth     | ¥300k the 12 months before   | 100   |
       | industry   | 金融                          | 100   |
       | size       | 2,000 employees               | 100   |
       | engagement | 12 visits in 90 days          | 100   |  → 96.00, grade A"""
    acc = create_account(uow, org.sh1, "上海银行", industry="金融", employees=2000)
    create_order(uow, acc, org.sh1, "900000.00", signed_on=date(2026, 6, 1))
    create_order(uow, acc, org.sh1, "300000.00", signed_on=date(2025, 6, 1))
    crm_service.upsert_activities(uow, [
        crm.ActivityDraft(kind="visit", person_id=org.sh1, account_id=acc,
                          started_at=NOW - timedelta(days=3 + i), external_id=f"V-{i}")
        for i in range(12)
    ])
    return acc


def test_the_nightly_run_grades_every_account_records_changes_and_is_idempotent(store: Container) -> None:
    with store.uow() as uow:
        org = Org(uow)
        big = _big_customer(uow, org)
        uow.commit()
    announced: list[GradeChanged] = []
    store.bus.register(GradeChanged, announced.append)
    con = connect_store(store.settings.database_url)
    try:
        with store.uow() as uow:
            first = service.regrade_all(uow, con, now=NOW)
            uow.commit()
        with store.uow() as uow:
            second = service.regrade_all(uow, con, now=NOW)
            uow.commit()
    finally:
        con.disconnect()
    assert (first.graded, first.changed, first.by_grade) == (3, 3, {"A": 1, "C": 2})
    assert (second.graded, second.changed) == (3, 0)
    assert sorted((e.account_id, e.from_grade, e.to_grade) for e in announced) == sorted(
        [(big, None, "A"), (org.acc_sh1, None, "C"), (org.acc_bj1, None, "C")])
    with store.read() as s:
        from chanli.process import queries

        rows = {g.account_id: g for g in queries.list_grades(s, ADMIN)}
        assert rows[big].score == Decimal("96.00")
        assert rows[big].visit_every_days == 14
        assert rows[org.acc_sh1].score == Decimal("28.80")
        assert len(list(s.scalars(select(AccountGradeChange)))) == 3
        assert entries(s, object_type="account", object_id=str(big), limit=1)[0].action == "account.grade"
        from chanli.crm import queries as crm_queries

        assert {a.id: a.grade for a in crm_queries.list_accounts(s, ADMIN)}[big] == "A"


def test_a_new_grading_policy_moves_grades_and_keeps_the_history(store: Container) -> None:
    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    con = connect_store(store.settings.database_url)
    try:
        with store.uow() as uow:
            service.regrade_all(uow, con, now=NOW)
            uow.commit()
        lenient = GradingPolicy(thresholds=(("A", Decimal(90)), ("B", Decimal(25)), ("C", Decimal(0))))
        with store.uow() as uow:
            service.save_grading_policy(uow, ADMIN, lenient)
            summary = service.regrade_all(uow, con, now=NOW + timedelta(days=1))
            uow.commit()
    finally:
        con.disconnect()
    assert (summary.changed, summary.by_grade, summary.policy_version) == (2, {"B": 2}, 1)
    with store.read() as s:
        from chanli.process import queries

        history = queries.grade_history(s, ADMIN, org.acc_sh1)
        assert history is not None
        assert [(h.from_grade, h.to_grade) for h in history] == [(None, "C"), ("C", "B")]


def test_stage_time_and_action_outcomes_agree_with_the_reference(store: Container) -> None:
    """Three deals move through the playbook on known days (managers override the gates);
    two are won, one lost; only the won ones had the first visit in 需求挖掘."""
    with store.uow() as uow:
        org = Org(uow)
        opps = [create_opportunity(uow, org.sh1, org.acc_sh1, stage="prospecting") for _ in range(3)]
        uow.commit()
    t0 = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
    plan = {opps[0]: [("discovery", 0), ("proposal", 10), ("contract", 30)],
            opps[1]: [("discovery", 2), ("proposal", 20), ("contract", 25)],
            opps[2]: [("discovery", 5), ("proposal", 6), ("lost", 40)]}
    for opp, steps in plan.items():
        for to, day in steps:
            with store.uow() as uow:
                service.move_opportunity(uow, ADMIN, opp, to, now=t0 + timedelta(days=day), override_reason="测试推进",
                                         lost_reason="预算取消" if to == "lost" else None)
                uow.commit()
    with store.uow() as uow:
        crm_service.upsert_activities(uow, [
            crm.ActivityDraft(kind="visit", person_id=org.sh1, opportunity_id=opps[i],
                              started_at=t0 + timedelta(days=8), external_id=f"VISIT-{i}") for i in (0, 1)])
        uow.commit()
    now = t0 + timedelta(days=60)
    con = connect_store(store.settings.database_url)
    try:
        stages = {r["stage_key"]: r for r in batch.stage_durations(con, DEFAULT_PLAYBOOK, now)}
        actions = {(r["stage_key"], r["action_key"]): r for r in batch.action_outcomes(con, DEFAULT_PLAYBOOK)}
    finally:
        con.disconnect()
    moves = []
    for opp, steps in plan.items():
        for (to, day), nxt in zip(steps, [*steps[1:], None], strict=True):
            moves.append(rules.MoveRow(opp, to, t0 + timedelta(days=day), t0 + timedelta(days=nxt[1]) if nxt else None))
    reference = {s.stage_key: s for s in rules.stage_stats(DEFAULT_PLAYBOOK, moves, now)}
    assert stages["discovery"]["avg_days"] == reference["discovery"].avg_days == Decimal("9.7")
    assert stages["proposal"]["avg_days"] == reference["proposal"].avg_days == Decimal("19.7")
    assert [(k, stages[k]["deals"], stages[k]["over_norm"]) for k in ("discovery", "proposal")] == [
        ("discovery", 3, 1), ("proposal", 3, 2)]
    visit = actions[("discovery", "first_visit")]
    ref = {(a.stage_key, a.action_key): a for a in rules.action_win_rates(
        DEFAULT_PLAYBOOK, {o: {"discovery", "proposal"} for o in opps},
        {opps[0]: {("discovery", "first_visit")}, opps[1]: {("discovery", "first_visit")}},
        {opps[0]: True, opps[1]: True, opps[2]: False})}[("discovery", "first_visit")]
    assert (visit["closed_deals"], visit["done"], visit["skipped"]) == (ref.closed_deals, ref.done, ref.skipped) == (
        3, 2, 1)
    assert (visit["win_rate_done"], visit["win_rate_skipped"]) == (ref.win_rate_done, ref.win_rate_skipped) == (
        Decimal("1.000"), Decimal("0.000"))


def test_deals_moved_outside_the_playbook_count_by_their_crm_stage_history(store: Container) -> None:
    """History brought from another CRM never went through a playbook gate: its CRM stages
    (需求挖掘 → 方案 …) are read as the playbook stages mapped onto them, so the analytics
    page is not empty on day one. Deal A: discovery 10 days, proposal 20 days (norm 14), lost;
    deal B: discovery 10 days, won."""
    with store.uow() as uow:
        org = Org(uow)
        a, b = (create_opportunity(uow, org.sh1, org.acc_sh1, stage="prospecting") for _ in range(2))
        uow.commit()
    t0 = datetime(2026, 9, 1, 1, 0, tzinfo=UTC)
    steps = [(a, crm.Stage.DISCOVERY, 0), (a, crm.Stage.PROPOSAL, 10), (a, crm.Stage.LOST, 30),
             (b, crm.Stage.DISCOVERY, 2), (b, crm.Stage.WON, 12)]
    for opp, to, day in steps:
        with store.uow() as uow:
            crm_service.move_stage(uow, opp, to, at=t0 + timedelta(days=day),
                                   lost_reason="预算取消" if to == crm.Stage.LOST else None)
            uow.commit()
    con = connect_store(store.settings.database_url)
    try:
        stages = {r["stage_key"]: r for r in batch.stage_durations(con, DEFAULT_PLAYBOOK, t0 + timedelta(days=60))}
    finally:
        con.disconnect()
    got = [(k, stages[k]["deals"], stages[k]["avg_days"], stages[k]["over_norm"]) for k in ("discovery", "proposal")]
    assert got == [("discovery", 2, Decimal("10.0"), 0), ("proposal", 1, Decimal("20.0"), 1)]
    assert (stages["grading"]["deals"], stages["negotiation"]["deals"]) == (0, 0)
    assert (stages["contract"]["deals"], stages["contract"]["avg_days"]) == (1, Decimal("0.0"))  # won: no ageing
