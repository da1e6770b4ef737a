"""The demo's second act: targets, pay, models and analyses on top of the company's history, so
every page of ``make demo`` has something true to show (pacing, statements, churn warnings,
call coaching, demand clusters).

Everything goes through the capabilities' own services, exactly as an operator would run them,
each step in its own transaction: a step that fails is reported and the others still land.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from ibis.backends import BaseBackend

from chanli import compensation, insight, targets
from chanli.core.auth import Principal
from chanli.core.db import UnitOfWork
from chanli.crm import queries as crm_queries
from chanli.org import queries as org_queries
from chanli.org import service as org_service

__all__ = ["EnrichSummary", "enrich_demo"]


@dataclass
class EnrichSummary:
    done: dict[str, str] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def _principal(uow: UnitOfWork, username: str) -> Principal:
    user = org_queries.user_by_username(uow.session, username)
    if user is None:
        raise LookupError(f"demo login {username!r} is missing")
    return org_service.principal_for_user(uow.session, user)


def _previous_months(today: date, n: int) -> list[str]:
    out = []
    y, m = today.year, today.month
    for _ in range(n):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append(f"{y}-{m:02d}")
    return list(reversed(out))


def enrich_demo(
    new_uow: Callable[[], UnitOfWork], con: BaseBackend, *, today: date, pay_months: int = 3
) -> EnrichSummary:
    """Plan this year's revenue target (seasonal × capacity, approved and active), pay the last
    ``pay_months`` closed months under the sample plan (computed by ``comp``, approved by
    ``finance``), train and apply the churn and lead models, analyse every call and cluster the
    customers' needs. ``new_uow`` opens a unit of work; ``con`` is the engine on the store."""
    summary = EnrichSummary()
    months = _previous_months(today, pay_months)
    year = int(months[-1][:4])
    as_of = today
    now = datetime(today.year, today.month, today.day, tzinfo=UTC)

    def step(name: str, work: Callable[[UnitOfWork], Any]) -> None:
        try:
            with new_uow() as uow:
                result = work(uow)
                uow.commit()
            summary.done[name] = str(result)
        except Exception as exc:
            summary.failed[name] = f"{type(exc).__name__}: {exc}"

    def plan_targets(uow: UnitOfWork) -> str:
        admin = targets.queries.SYSTEM_PRINCIPAL
        preview = targets.service.create_plan(
            uow, admin,
            targets.PlanRequest(
                "won_revenue", str(year), _stretch_target(uow, today),
                period_method=targets.DecompositionMethod.SEASONAL,
                owner_method=targets.DecompositionMethod.CAPACITY,
                grains=("quarter", "month"), name=f"{year} 年度成交目标",
            ),
            con,
        )
        targets.service.transition_plan(uow, admin, preview.plan_id, targets.TargetStatus.APPROVED)
        targets.service.transition_plan(uow, admin, preview.plan_id, targets.TargetStatus.ACTIVE)
        return f"plan {preview.plan_id}"

    def pay(uow: UnitOfWork) -> str:
        result = compensation.seed_demo(uow, _principal(uow, "comp"), _principal(uow, "finance"), year=year,
                                        months=months)
        return ", ".join(f"{label} {status}" for label, _, status in result.runs)

    def churn(uow: UnitOfWork) -> str:
        model = insight.service.train_churn(uow, con, as_of=as_of, now=now)
        return f"AUC {model.metrics.get('holdout_auc')} on {model.metrics.get('holdout_n')} later snapshots"

    def warnings(uow: UnitOfWork) -> str:
        scoring = insight.service.score_churn(uow, con, as_of=as_of)
        return f"{len(scoring.raised)} warnings from {scoring.scored} accounts"

    def leads(uow: UnitOfWork) -> str:
        model = insight.service.train_leads(uow, as_of=as_of, now=now)
        return f"AUC {model.metrics.get('holdout_auc')}; {insight.service.score_leads(uow)} leads scored"

    def calls(uow: UnitOfWork) -> str:
        return f"{insight.service.analyse_calls(uow).analysed} calls analysed"

    def demand(uow: UnitOfWork) -> str:
        run = insight.service.cluster_demand(uow)
        return f"{len(run.clusters)} clusters from {run.documents} notes"

    def holidays(uow: UnitOfWork) -> str:
        created, _ = targets.service.seed_holidays(uow)
        return f"{created} days"

    step("targets", plan_targets)
    step("holidays", holidays)
    step("compensation", pay)
    step("churn model", churn)
    step("churn warnings", warnings)
    step("lead model", leads)
    step("calls", calls)
    step("demand clusters", demand)
    return summary


def _stretch_target(uow: UnitOfWork, today: date) -> Decimal:
    """15 % more than the last twelve months booked, in round ten-thousands: a stretch, not a
    fantasy."""
    start = date(today.year - 1, today.month, 1)
    board = crm_queries.dashboard(uow.session, targets.queries.SYSTEM_PRINCIPAL, start, today)
    return (board.won_total * Decimal("1.15")).quantize(Decimal("10000"))
