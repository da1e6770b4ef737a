"""Insight services on a real store (SQLite and PostgreSQL), with small hand-made facts:
churn warnings from training to settlement with scope and events, lead scores feeding
routing, call coaching, and the entered/imported market facts behind saturation and ROI."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text

from chanli.bootstrap import Container
from chanli.core.auth import Principal
from chanli.core.engine import connect_store
from chanli.core.issues import ValidationFailed
from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.insight import (
    ChurnRiskRaised,
    InterventionKind,
    NotFound,
    WarningOutcome,
    queries,
    service,
)
from chanli.org import queries as org_queries
from chanli.org import service as org_service
from chanli.routing import Outcome, PolicyStep, RoutingPolicy
from chanli.routing import service as routing_service
from tests.factories import Org, create_account, create_lead, create_order
from tests.unit.routing.test_engine import ADMIN

AS_OF = date(2026, 11, 1)
NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _principal(store: Container, username: str) -> Principal:
    with store.read() as s:
        user = org_queries.user_by_username(s, username)
        assert user is not None
        return org_service.principal_for_user(s, user)


def _history(store: Container) -> tuple[Org, int, int]:
    """40 customers whose yearly renewal fell due in 2026: those who complained churned, the
    others renewed; two more (one who complained) renew in December, still pending."""
    with store.uow() as uow:
        org = Org(uow)
        renewals, feedback = [], []
        for i in range(40):
            owner = org.sh1 if i % 2 else org.bj1
            acc = create_account(uow, owner, f"老客户{i}", industry="制造", region="华东")
            signed = date(2025, 1, 1) + timedelta(days=7 * i)
            create_order(uow, acc, owner, "50000.00", signed_on=signed)
            complained = i % 3 == 0
            if complained:
                feedback.append(crm.FeedbackDraft(acc, signed + timedelta(days=200), 20, True, "服务响应慢"))
            feedback.append(crm.FeedbackDraft(acc, signed + timedelta(days=40), 45 if complained else 90))
            status = "churned" if complained else "renewed"
            renewals.append(crm.RenewalDraft(acc, signed + timedelta(days=365), status, Decimal("50000.00")))
        risky = create_account(uow, org.sh1, "投诉客户", industry="制造", region="华东")
        calm = create_account(uow, org.bj1, "满意客户", industry="制造", region="华北")
        for acc in (risky, calm):
            create_order(uow, acc, org.sh1 if acc == risky else org.bj1, "80000.00", signed_on=date(2025, 12, 1))
            renewals.append(crm.RenewalDraft(acc, date(2026, 12, 1), "pending", Decimal("80000.00")))
        feedback += [crm.FeedbackDraft(risky, date(2026, 5, 1), 15, True, "产品缺陷"),
                     crm.FeedbackDraft(risky, date(2026, 1, 20), 40),
                     crm.FeedbackDraft(calm, date(2026, 1, 20), 95)]
        crm_service.add_renewals(uow, renewals)
        crm_service.add_feedback(uow, feedback)
        uow.commit()
    return org, risky, calm


def test_a_churn_warning_is_raised_worked_by_its_owner_and_settled_by_the_renewal(
    store: Container, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    org, risky, _calm = _history(store)
    told: list[ChurnRiskRaised] = []
    store.bus.register(ChurnRiskRaised, told.append)
    con = connect_store(store.settings.database_url)
    try:
        with store.uow() as uow:
            model = service.train_churn(uow, con, as_of=AS_OF, model_dir=tmp_path)
            uow.commit()
        with store.uow() as uow:
            scoring = service.score_churn(uow, con, as_of=AS_OF)
            assert told == []  # nothing is announced before the commit
            uow.commit()
    finally:
        con.disconnect()
    assert model.metrics["cv_auc"] > 0.9
    assert (tmp_path / "churn" / "v1" / "MODEL_CARD.md").exists()
    assert scoring.scored == 2
    [warning_id] = scoring.raised
    assert [(e.account_id, e.owner_id, e.account_name) for e in told] == [(risky, org.sh1, "投诉客户")]

    rep, other_rep, manager = (_principal(store, u) for u in ("sh1", "bj1", "east_mgr"))
    with store.read() as s:
        assert [w.account_name for w in queries.list_warnings(s, rep)] == ["投诉客户"]
        assert [w.account_name for w in queries.list_warnings(s, manager)] == ["投诉客户"]
        assert queries.list_warnings(s, other_rep) == []
    with store.uow() as uow, pytest.raises(NotFound):
        service.log_intervention(uow, other_rep, warning_id, kind=InterventionKind.CALL, happened_on=AS_OF)
    with store.uow() as uow:
        service.log_intervention(uow, rep, warning_id, kind=InterventionKind.SERVICE_FIX, happened_on=AS_OF,
                                 note="安排工程师整改")
        uow.commit()
    with store.read() as s:
        detail = queries.get_warning(s, rep, warning_id)
    assert detail is not None and detail.warning.status == "in_progress"
    assert [(i.kind, i.note) for i in detail.interventions] == [("service_fix", "安排工程师整改")]

    with store.engine.begin() as c:  # the CRM records that the customer renewed (as a renewal import would)
        c.execute(text("UPDATE renewals SET status = 'renewed' WHERE account_id = :a"), {"a": risky})
    con = connect_store(store.settings.database_url)
    try:
        with store.uow() as uow:
            again = service.score_churn(uow, con, as_of=date(2026, 12, 2))
            uow.commit()
    finally:
        con.disconnect()
    assert (again.settled_saved, again.settled_lost, again.raised) == (1, 0, ())
    with store.read() as s:
        rate = queries.save_rate(s, manager)
    assert (rate.saved, rate.lost, rate.rate, rate.saved_with_intervention) == (1, 0, Decimal("1.0000"), 1)
    with store.uow() as uow, pytest.raises(ValidationFailed, match="already saved"):
        service.close_warning(uow, rep, warning_id, outcome=WarningOutcome.LOST, on=date(2026, 12, 3))


def test_scoring_churn_without_a_trained_model_says_what_to_do(store: Container) -> None:
    con = connect_store(store.settings.database_url)
    try:
        with store.uow() as uow, pytest.raises(ValueError, match="chanli insight churn train"):
            service.score_churn(uow, con, as_of=AS_OF)
    finally:
        con.disconnect()


def test_new_leads_get_a_score_before_routing_so_low_intent_ones_go_to_automated_outreach(
    store: Container,
) -> None:
    with store.uow() as uow:
        org = Org(uow)
        org_service.upsert_territory(uow, code="EAST", name="华东", team_id=org.east, provinces=["上海"])
        drafts = [
            crm.LeadDraft(f"历史线索{i}", datetime(2026, 6, 1, 2, tzinfo=UTC) + timedelta(days=i),
                          source="转介绍" if i % 2 else "电销", channel="客户推荐" if i % 2 else "外呼名单",
                          region="华东", status="converted" if i % 2 else "disqualified", owner_id=org.sh1,
                          external_id=f"H-{i}")
            for i in range(60)
        ]
        crm_service.upsert_leads(uow, drafts)
        routing_service.save_policy(uow, ADMIN, RoutingPolicy(
            steps=(PolicyStep.TERRITORY, PolicyStep.SCORE, PolicyStep.ROUND_ROBIN),
            capacity_by_tier={"new": 100, "core": 100, "elite": 100}))
        model = service.train_leads(uow, as_of=AS_OF)
        warm = create_lead(uow, province="上海", source="转介绍", channel="客户推荐", region="华东", received_at=NOW)
        cold = create_lead(uow, province="上海", source="电销", channel="外呼名单", region="华东", received_at=NOW)
        uow.commit()
    assert model.metrics["holdout_auc"] == 1.0
    with store.uow() as uow:
        summary = routing_service.assign_leads(uow, now=NOW, lead_ids=[warm, cold])
        uow.commit()
    hot, automated = summary.for_lead(warm), summary.for_lead(cold)
    assert hot is not None and hot.person_id is not None
    assert automated is not None and automated.outcome is Outcome.AUTOMATED
    with store.read() as s:
        scores = dict(s.execute(text("SELECT id, score FROM leads WHERE id IN (:a, :b)"), {"a": warm, "b": cold}).all())
        warm_score = queries.lead_score(s, warm)
    assert Decimal(scores[warm]) >= 80 > 20 > Decimal(scores[cold])
    assert warm_score is not None and warm_score["reasons"][0]["label"] in ("线索来源", "渠道")


TRANSCRIPT_PRICE = "销售：王总您好。\n客户：价格太贵了，我们很失望。\n客户：别家报价更低，你们的服务太差了。"
TRANSCRIPT_HAPPY = "销售：李总您好。\n客户：系统很好用，我们非常满意，下周签约。"


def test_calls_are_analysed_once_and_summed_up_per_rep_for_coaching(store: Container) -> None:
    with store.uow() as uow:
        org = Org(uow)
        calls = [
            crm.CallRecordDraft(org.sh1, datetime(2026, 10, 10 + i, 2, tzinfo=UTC), 300,
                                transcript=TRANSCRIPT_PRICE if i < 3 else TRANSCRIPT_HAPPY, external_id=f"C-{i}")
            for i in range(4)
        ] + [crm.CallRecordDraft(org.bj1, datetime(2026, 10, 20, 2, tzinfo=UTC), 60, transcript="",
                                 external_id="C-empty")]
        crm_service.upsert_calls(uow, calls)
        uow.commit()
    with store.uow() as uow:
        first = service.analyse_calls(uow)
        second = service.analyse_calls(uow)
        uow.commit()
    assert (first.analysed, first.skipped_empty, second.analysed) == (4, 1, 0)
    con = connect_store(store.settings.database_url)
    try:
        with store.read() as s:
            [coach] = queries.coaching(s, _principal(store, "east_mgr"), con)
            assert queries.coaching(s, _principal(store, "bj1"), con) == []
    finally:
        con.disconnect()
    assert (coach.name, coach.calls, coach.negative_calls) == ("张三", 4, 3)
    assert coach.topics[:2] == [("price_sensitivity", "价格敏感", 3), ("competitor", "竞品", 3)]
    assert coach.suggestions[0].startswith("客户对价格敏感")


def test_market_facts_import_all_or_nothing_and_feed_saturation_and_roi(store: Container) -> None:
    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    ops = _principal(store, "ops")
    bad = [{"大区": "华东", "行业": "", "可触达客户数": "120"},
           {"大区": "华北", "行业": "制造", "可触达客户数": "很多"}]
    with store.uow() as uow, pytest.raises(ValidationFailed) as failed:
        service.import_markets(uow, ops, bad, "markets.csv")
    assert [(i.row, i.column) for i in failed.value.issues] == [(2, "industry"), (3, "addressable_accounts")]
    good = [{"region": "华东", "industry": "制造", "addressable_accounts": "4"},
            {"region": "华北", "industry": "制造", "addressable_accounts": "10"}]
    with store.uow() as uow:
        assert service.import_markets(uow, ops, good, "markets.csv") == 2
        assert service.import_markets(uow, ops, good, "markets.csv") == 0  # re-import changes nothing
        service.import_spend(uow, ops, [{"月份": "2026-10", "渠道": "客户推荐", "活动": "老带新", "金额": "10,000"}],
                             "spend.csv")
        service.import_competitor_events(uow, ops, [{"竞争对手": "云帆CRM", "日期": "2026-10-08", "类型": "降价",
                                                     "描述": "全线降价20%"}], "events.csv")
        acc = create_account(uow, org.sh1, "新客户", industry="制造", region="华东")
        lead = create_lead(uow, source="转介绍", channel="客户推荐", received_at=datetime(2026, 10, 2, 2, tzinfo=UTC))
        deal = crm_service.upsert_opportunities(uow, [crm.OpportunityDraft(
            "推荐商机", date(2026, 10, 3), org.sh1, acc, lead_id=lead, stage="won", status="won",
            amount=Decimal("30000.00"), closed_on=date(2026, 10, 20), external_id="OPP-R")]).ids[0]
        crm_service.upsert_orders(uow, [crm.OrderDraft(acc, org.sh1, date(2026, 10, 20),
                                                       (crm.OrderLineDraft(Decimal(1), Decimal("30000.00")),),
                                                       opportunity_id=deal, external_id="ORD-R")])
        uow.commit()
    con = connect_store(store.settings.database_url)
    try:
        with store.read() as s:
            sat = queries.saturation(s, ops, con, AS_OF)
            roi = queries.roi(s, ops, con, date(2026, 10, 1), AS_OF)
            assert queries.roi(s, _principal(store, "east_mgr"), con, date(2026, 10, 1), AS_OF) is None
            events = queries.competitor_events(s)
    finally:
        con.disconnect()
    east = next(r for r in sat if (r.region, r.industry) == ("华东", "制造"))
    assert (east.customers, east.addressable, east.penetration) == (1, 4, Decimal("0.2500"))
    assert roi is not None
    [referral] = [r for r in roi if r.channel == "客户推荐"]
    assert (referral.spend, referral.leads, referral.won_deals, referral.won_revenue, referral.roi) == (
        Decimal("10000.00"), 1, 1, Decimal("30000.00"), Decimal("2.0000"))
    assert [(e.competitor, e.kind) for e in events] == [("云帆CRM", "price_cut")]
