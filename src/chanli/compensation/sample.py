"""A sample plan with the seed figures, and a hook the demo calls so ``make demo`` shows
statements: base salary by tier, a bonus curve gated by collection, 3% / 5% / 8% marginal tiers
over quota, a mentor override, lightning awards and clawbacks; an incentive menu; and, when the
store has no approved revenue target yet, a company target split down to the reps by capacity.

Why here and not in ``demo``: the plan is compensation's own worked example (docs.md uses the
same figures); the demo only decides when to call ``seed_demo``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select

from chanli.compensation import facts
from chanli.compensation import service as svc
from chanli.compensation.inputs import SYSTEM, calendar
from chanli.core.auth import Principal
from chanli.core.db import UnitOfWork
from chanli.targets import DecompositionMethod, PlanRequest, TargetStatus
from chanli.targets import queries as target_queries
from chanli.targets import service as target_service

__all__ = ["SAMPLE_MENU", "SAMPLE_PLAN", "SampleSummary", "install_sample_plan", "seed_demo"]

SAMPLE_PLAN = """\
plan: sales-standard
name: 销售标准薪酬方案
version: 1
effective_from: 2025-01-01
currency: CNY
components:
  - id: base
    kind: base_salary
    label: 基本工资
    monthly_by_tier:
      - {tier: new, amount: 8000}
      - {tier: core, amount: 12000}
      - {tier: elite, amount: 18000}
  - id: bonus
    kind: performance_bonus
    label: 绩效奖金
    quota: won_revenue
    target_bonus_by_tier:
      - {tier: new, amount: 3000}
      - {tier: core, amount: 6000}
      - {tier: elite, amount: 10000}
    curve:
      - {attainment: 60%, payout: 60%}
      - {attainment: 100%, payout: 100%}
      - {attainment: 150%, payout: 150%}
    cap: 150%
    collection_bands:
      - {lower: 0%, upper: 60%, factor: 0}
      - {lower: 60%, upper: 90%, factor: 80%}
      - {lower: 90%, factor: 100%}
  - id: over_quota
    kind: tiered_commission
    label: 阶梯提成
    quota: won_revenue
    crediting: {basis: booking, scope: own}
    tiers:
      - {lower: 100%, upper: 110%, rate: 3%}
      - {lower: 110%, upper: 120%, rate: 5%}
      - {lower: 120%, rate: 8%}
  - {id: mentor, kind: mentor_override, label: 师徒津贴, of: [over_quota]}
  - {id: lightning, kind: lightning_award, label: 闪电奖, budget_per_manager: 5000}
  - {id: claw, kind: clawback, label: 追回, uncollected_days: 120}
"""

SAMPLE_MENU = (
    ("learning-seat", "付费课程席位", "行业认证课程一个席位", 800, "800.00", 20, "16000.00"),
    ("summit-ticket", "行业峰会门票", "年度 SaaS 行业峰会门票一张", 1500, "1500.00", 10, "15000.00"),
    ("family-travel", "家庭旅行基金", "家庭旅行补贴", 3000, "3000.00", None, "30000.00"),
)


@dataclass(frozen=True, slots=True)
class SampleSummary:
    plan: str
    version: int
    target_plan_id: int | None
    runs: tuple[tuple[str, int, str], ...]  # period, run id, status


def _ensure_quota(uow: UnitOfWork, year: int) -> int | None:
    """An approved company won-revenue target for ``year`` split to the reps by capacity, sized
    at the year's booked revenue (so attainment centres on 100%), unless one exists. Planned and
    approved as the system (seed data), since comp admins do not plan targets."""
    principal = SYSTEM
    s = uow.session
    period = calendar(s).parse(str(year))
    for p in target_queries.list_plans(s, principal, metric_code="won_revenue"):
        if p.status in (TargetStatus.APPROVED.value, TargetStatus.ACTIVE.value) and p.period_label == period.label:
            return None
    o = facts.orders.c
    booked = s.scalar(
        select(func.coalesce(func.sum(o.net_amount), 0)).where(
            o.status == "active", o.signed_on >= period.start, o.signed_on < period.end, o.deleted_at.is_(None)
        )
    )
    value = (Decimal(booked or 0) / 10000).quantize(Decimal(1), ROUND_HALF_UP) * 10000
    if value <= 0:
        return None
    preview = target_service.create_plan(
        uow,
        principal,
        PlanRequest(
            "won_revenue",
            period.label,
            value,
            period_method=DecompositionMethod.EQUAL,
            owner_method=DecompositionMethod.CAPACITY,
            grains=("quarter", "month"),
            name=f"{period.label} 销售额目标（薪酬定额）",
        ),
    )
    assert preview.plan_id is not None
    target_service.transition_plan(uow, principal, preview.plan_id, TargetStatus.APPROVED, reason="薪酬定额")
    target_service.transition_plan(uow, principal, preview.plan_id, TargetStatus.ACTIVE, reason="薪酬定额")
    return preview.plan_id


def install_sample_plan(uow: UnitOfWork, principal: Principal) -> int:
    """Save and publish the sample plan, assign it to everyone in the rep role, and stock the
    incentive menu. Returns the published version."""
    version, _ = svc.save_plan_version(uow, principal, SAMPLE_PLAN, note="示例方案（种子数据）")
    svc.publish_version(uow, principal, "sales-standard", version.version)
    svc.assign_plan(uow, principal, "sales-standard", "role", "rep", version.effective_from)
    for code, name, description, points, cost, stock, budget in SAMPLE_MENU:
        svc.save_menu_item(
            uow, principal, code, name, points, cost, stock=stock, budget=budget, description=description
        )
    return version.version


def seed_demo(
    uow: UnitOfWork, maker: Principal, checker: Principal, *, year: int, months: Sequence[str] = ()
) -> SampleSummary:
    """The demo hook: the sample plan, a quota if none, then for each month a run computed and
    submitted by ``maker`` (comp admin) and approved by ``checker`` (finance), so statements,
    locks and the review pages have something to show. Safe to call on a store that has it."""
    target_plan = _ensure_quota(uow, year)
    version = install_sample_plan(uow, maker)
    runs = []
    for label in months:
        outcome = svc.run_period(uow, maker, "sales-standard", label)
        status = outcome.status
        if outcome.errors == 0 and status == "draft":
            svc.submit_run(uow, maker, outcome.run_id)
            status = svc.approve_run(uow, checker, outcome.run_id).status
        runs.append((label, outcome.run_id, status))
    return SampleSummary("sales-standard", version, target_plan, tuple(runs))
