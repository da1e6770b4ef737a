"""Insight on the demo company: the models learn the demo's planted patterns from its own
history (complaints → churn, tone of won/lost calls), and the analytics read its year.

Figures asserted here are the ones docs.md reports (measured on seed 88, today 2026-01-01).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from statistics import fmean

import pytest
from sqlalchemy import text

from chanli.bootstrap import Container
from chanli.core.auth import Principal, Role
from chanli.core.db import Actor
from chanli.core.engine import connect_store
from chanli.insight import ChurnRiskRaised, InterventionKind, WarningOutcome, queries, service
from tests.integration.insight.conftest import TODAY, model_dir

ADMIN = Principal(user_id=0, username="test", display_name="测试", role=Role.ADMIN)
ACTOR = Actor(None, "测试")


@dataclass(frozen=True)
class Trained:
    model: service.ModelSummary
    scoring: service.ChurnScoring
    events: list[ChurnRiskRaised]


@pytest.fixture(scope="module")
def trained(demo: Container) -> Iterator[Trained]:
    events: list[ChurnRiskRaised] = []
    demo.bus.register(ChurnRiskRaised, events.append)
    con = connect_store(demo.settings.database_url)
    try:
        with demo.uow(ACTOR) as uow:
            model = service.train_churn(uow, con, as_of=TODAY, model_dir=model_dir(demo))
            uow.commit()
        with demo.uow(ACTOR) as uow:
            scoring = service.score_churn(uow, con, as_of=TODAY)
            uow.commit()
        yield Trained(model, scoring, events)
    finally:
        con.disconnect()


def test_the_churn_model_learns_the_company_history_and_beats_chance_on_a_later_period(trained: Trained) -> None:
    """Trained on snapshots whose outcome was known by 2025-09-01, measured on the later ones:
    AUC 0.732 on 139 held-out snapshots (the demo's ceiling is about 0.75: churn is 55 % after
    a complaint, 10 % without)."""
    m = trained.model.metrics
    assert (m["holdout_cutoff"], m["holdout_train_n"], m["holdout_n"]) == ("2025-09-01", 188, 139)
    assert m["holdout_auc"] > 0.65
    assert trained.model.rows == 397


def test_the_model_card_is_saved_next_to_the_model(trained: Trained, demo: Container) -> None:
    folder = Path(trained.model.folder or "")
    assert folder == model_dir(demo) / "churn" / "v1"
    assert sorted(p.name for p in folder.iterdir()) == ["MODEL_CARD.md", "model.joblib", "model.json"]
    card = (folder / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "holdout_auc" in card and "Time split" in card and "complaints_12m (numeric)" in card
    assert card == trained.model.card


def test_accounts_with_complaints_rank_highest(trained: Trained, demo: Container) -> None:
    with demo.read() as s:
        rows = s.execute(text(
            "SELECT sc.probability, (SELECT count(*) FROM feedback f WHERE f.account_id = sc.account_id "
            "AND f.is_complaint AND f.received_on >= '2025-01-01') FROM insight_churn_scores sc "
            "WHERE sc.model_id = :m AND sc.as_of = '2026-01-01' ORDER BY sc.probability DESC"
        ), {"m": trained.scoring.model_id}).all()
    assert len(rows) == trained.scoring.scored == 108
    top = rows[:20]
    assert sum(1 for _, complaints in top if complaints) >= 16
    complained = fmean(float(p) for p, c in rows if c)
    others = fmean(float(p) for p, c in rows if not c)
    assert complained > 3 * others


def test_risky_accounts_become_warnings_with_reasons_and_their_owner_is_told(trained: Trained,
                                                                           demo: Container) -> None:
    with demo.read() as s:
        warnings = queries.list_warnings(s, ADMIN)
    assert len(warnings) == len(trained.scoring.raised) == len(trained.events) > 10
    assert all(w.probability >= Decimal("0.5") and w.owner_id is not None for w in warnings)
    assert {e.warning_id for e in trained.events} == {w.id for w in warnings}
    labels = {r["label"] for w in warnings for r in w.reasons}
    assert "近12个月投诉" in labels
    assert all(len(w.reasons) == 3 for w in warnings)


def test_scoring_again_refreshes_warnings_instead_of_raising_new_ones(trained: Trained, demo: Container) -> None:
    con = connect_store(demo.settings.database_url)
    try:
        with demo.uow(ACTOR) as uow:
            again = service.score_churn(uow, con, as_of=TODAY)
            uow.commit()
    finally:
        con.disconnect()
    assert again.raised == ()
    assert again.refreshed == len(trained.scoring.raised)
    with demo.read() as s:
        assert len(queries.list_warnings(s, ADMIN)) == len(trained.scoring.raised)


def test_the_owner_logs_interventions_and_the_save_rate_counts_the_outcomes(trained: Trained,
                                                                          demo: Container) -> None:
    first, second = trained.scoring.raised[:2]
    with demo.uow(ACTOR) as uow:
        service.log_intervention(uow, ADMIN, first, kind=InterventionKind.EXECUTIVE,
                                 happened_on=date(2026, 1, 3), note="总经理上门")
        service.close_warning(uow, ADMIN, first, outcome=WarningOutcome.SAVED, on=date(2026, 1, 10))
        service.close_warning(uow, ADMIN, second, outcome=WarningOutcome.LOST, on=date(2026, 1, 12))
        uow.commit()
    with demo.read() as s:
        rate = queries.save_rate(s, ADMIN)
        detail = queries.get_warning(s, ADMIN, first)
    assert (rate.saved, rate.lost, rate.rate) == (1, 1, Decimal("0.5"))
    assert (rate.saved_with_intervention, rate.lost_without) == (1, 1)
    assert detail is not None and [i.kind for i in detail.interventions] == ["executive"]


def test_lead_scoring_learns_from_decided_leads_and_writes_a_score_on_each_lead(demo: Container) -> None:
    with demo.uow(ACTOR) as uow:
        model = service.train_leads(uow, as_of=TODAY, model_dir=model_dir(demo))
        scored = service.score_leads(uow)
        uow.commit()
    with demo.read() as s:
        unscored, total = s.execute(text("SELECT sum(score IS NULL), count(*) FROM leads")).one()
    assert unscored == 0 and scored == total > 2000
    assert model.metrics["holdout_auc"] > 0.55


def test_every_call_is_analysed_and_won_deals_sound_warmer_than_lost_ones(demo: Container) -> None:
    with demo.uow(ACTOR) as uow:
        done = service.analyse_calls(uow)
        uow.commit()
    with demo.read() as s:
        by_status = dict(s.execute(text(
            "SELECT o.status, avg(a.customer_score) FROM insight_call_analyses a "
            "JOIN call_records c ON c.id = a.call_id JOIN opportunities o ON o.id = c.opportunity_id "
            "GROUP BY o.status"
        )).all())
        calls = queries.list_calls(s, ADMIN, limit=5)
    assert done.analysed == 431
    # the shipped lexicon reads some brush-offs (有需要再说吧) and competitor offers as mildly positive,
    # so lost calls are not negative on average — but the ordering is right and the gap is wide
    assert by_status["won"] > by_status["open"] > by_status["lost"]
    assert by_status["won"] - by_status["lost"] > 0.5
    assert calls and all(c.suggestions or c.emotion for c in calls)
    con = connect_store(demo.settings.database_url)
    try:
        with demo.read() as s:
            reps = queries.coaching(s, ADMIN, con)
            trend = queries.emotion_trend(s, ADMIN, con, date(2025, 1, 1), TODAY)
    finally:
        con.disconnect()
    assert sum(r.calls for r in reps) == 431
    assert any("价格" in sug for r in reps for sug in r.suggestions)
    assert sum(m["calls"] for m in trend) == 431


def test_customer_needs_cluster_into_named_groups(demo: Container) -> None:
    with demo.uow(ACTOR) as uow:
        run = service.cluster_demand(uow, k=8)
        uow.commit()
    names = [name for name, _ in run.clusters]
    assert len(names) == 8 and "价格敏感" in names
    con = connect_store(demo.settings.database_url)
    try:
        with demo.read() as s:
            view = queries.demand(s, ADMIN, con, date(2025, 1, 1), TODAY)
    finally:
        con.disconnect()
    assert sum(c["size"] for c in view.clusters) == sum(size for _, size in run.clusters)
    assert sum(c["in_period"] for c in view.clusters) == sum(c["size"] for c in view.clusters)


def test_funnel_and_forecast_read_the_demo_year(demo: Container) -> None:
    con = connect_store(demo.settings.database_url)
    try:
        with demo.read() as s:
            view = queries.funnel(s, ADMIN, con, date(2025, 1, 1), TODAY, "all")
            period = queries.calendar(s).parse("2025-Q4")
            forecast = queries.forecast(s, ADMIN, period, date(2025, 11, 15))
    finally:
        con.disconnect()
    [g] = view.groups
    assert g.stages[0].reached == g.deals > 1000
    assert [st.reached for st in g.stages] == sorted((st.reached for st in g.stages), reverse=True)
    assert g.win_rate is not None and Decimal("0.2") < g.win_rate < Decimal("0.6")
    assert {r.reason for r in g.leakage} == {"价格过高", "选择竞品", "预算取消", "需求变化", "决策延期"}
    assert len(forecast) > 40
    assert all(r.forecast.history_based >= r.forecast.won_to_date for r in forecast)
