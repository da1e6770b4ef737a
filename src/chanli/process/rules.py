"""Pure process rules: stage gates, checklist state, grading, discount authority, approval
routing and escalation, process analytics. No I/O and no clock: callers pass ``now``.

Why pure: the same gate answers the kanban drag, the API and the CLI, and is tested as a
table of cases without a database; the services only load facts and save outcomes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from chanli.process.model import (
    LOST,
    AccountFacts,
    ActionStatus,
    ApprovalKind,
    AuthorityDecision,
    AuthorityMatrix,
    DiscountLine,
    GateFacts,
    GateResult,
    GradeResult,
    GradingPolicy,
    Missing,
    Playbook,
    SpinKind,
)

__all__ = [
    "FIELD_LABELS",
    "ActionStat",
    "MoveRow",
    "StageStat",
    "action_statuses",
    "action_win_rates",
    "approval_level",
    "check_gate",
    "decide_authority",
    "escalation_level",
    "grade_account",
    "stage_stats",
    "visit_due",
]

FIELD_LABELS = {"account_id": "客户", "amount": "金额", "expected_close": "预计成交日期", "product_id": "产品"}
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


# --- gates ------------------------------------------------------------------------------------


def _blank(name: str, value: object) -> bool:
    if value is None or value == "":
        return True
    return name == "amount" and Decimal(str(value)) <= 0


def check_gate(
    playbook: Playbook, from_key: str, to_key: str, facts: GateFacts, *, compliance_threshold: Decimal
) -> GateResult:
    """What is missing to move from ``from_key`` to ``to_key``.

    Moving forward must pass the exit gate of every stage it leaves behind (skipping a stage
    does not skip its gate). Moving back, or to ``lost``, needs nothing. A compliance review
    is only required when the deal is at or above ``compliance_threshold``.
    """
    if to_key == LOST:
        return GateResult(from_key, to_key)
    start, end = playbook.index(from_key), playbook.index(to_key)
    if end <= start:
        return GateResult(from_key, to_key)
    missing: list[Missing] = []
    for stage in playbook.stages[start:end]:
        where = f"（{stage.name}）"
        for name in stage.required_fields:
            if _blank(name, facts.fields.get(name)):
                label = FIELD_LABELS.get(name, name)
                missing.append(Missing("field", name, label, stage.key, f"必填字段「{label}」未填写{where}"))
        for d in stage.deliverables:
            if (stage.key, d.key) not in facts.deliverables:
                missing.append(Missing("deliverable", d.key, d.name, stage.key, f"缺少交付物{d.name}{where}"))
        if stage.requires_spin:
            for kind in SpinKind:
                if kind.value not in facts.spin_kinds_answered:
                    missing.append(Missing("spin", kind.value, _SPIN_LABELS[kind], stage.key,
                                           f"SPIN 问题未回答：{_SPIN_LABELS[kind]}{where}"))
        for a in stage.actions:
            if a.required and (stage.key, a.key) not in facts.done_actions:
                missing.append(Missing("action", a.key, a.name, stage.key, f"标准动作未完成：{a.name}{where}"))
        for kind in stage.approvals:
            if kind == ApprovalKind.COMPLIANCE_REVIEW and facts.amount < compliance_threshold:
                continue
            if kind not in facts.approved:
                label = _APPROVAL_LABELS.get(kind, kind)
                missing.append(Missing("approval", kind, label, stage.key, f"需要审批通过：{label}{where}"))
    return GateResult(from_key, to_key, tuple(missing))


_SPIN_LABELS = {
    SpinKind.SITUATION: "背景问题 (S)",
    SpinKind.PROBLEM: "难点问题 (P)",
    SpinKind.IMPLICATION: "暗示问题 (I)",
    SpinKind.NEED_PAYOFF: "需求效益问题 (N)",
}
_APPROVAL_LABELS = {
    ApprovalKind.DISCOUNT.value: "折扣审批",
    ApprovalKind.COMPLIANCE_REVIEW.value: "交付/技术可行性评审",
    ApprovalKind.TRIAL_FUND.value: "创新试错基金",
}


def action_statuses(
    playbook: Playbook,
    stage_key: str,
    entered_at: datetime,
    activities: Iterable[tuple[str, datetime]],
    ticked: Mapping[str, datetime],
    now: datetime,
) -> list[ActionStatus]:
    """The checklist of a stage's standard actions: done (in time), late, pending, overdue.

    An activity counts for an action only if logged after entering the stage; a tick on the
    checklist counts whenever it was made.
    """
    stage = playbook.stage(stage_key)
    acts = sorted((at, kind) for kind, at in activities if at >= entered_at)
    out: list[ActionStatus] = []
    for a in stage.actions:
        due = entered_at + timedelta(hours=a.within_hours) if a.within_hours is not None else None
        done_at = ticked.get(a.key)
        if done_at is None and a.activity_kinds:
            done_at = next((at for at, kind in acts if kind in a.activity_kinds), None)
        if done_at is not None:
            state = "late" if due is not None and done_at > due else "done"
        else:
            state = "overdue" if due is not None and now > due else "pending"
        out.append(ActionStatus(stage_key, a, state, done_at, due))
    return out


# --- customer grading -------------------------------------------------------------------------


def _ratio_score(value: Decimal, full: Decimal) -> Decimal:
    if full <= 0:
        return Decimal(0)
    return min(max(value, Decimal(0)) / full, Decimal(1)) * _HUNDRED


def grade_account(facts: AccountFacts, policy: GradingPolicy) -> GradeResult:
    """Score value and potential 0–100 and cut it into a grade.

    revenue: last 12 months against ``revenue_full``; growth: +100 % or more year on year
    scores 100, flat 50, halving or worse 0 (a first year with revenue counts as 100);
    industry: the configured table; size: employees against ``employees_full``;
    engagement: activities in the last 90 days against ``activities_full``.
    """
    if facts.revenue_prev_12m > 0:
        change = (facts.revenue_12m - facts.revenue_prev_12m) / facts.revenue_prev_12m
        growth = min(max((change + Decimal(1)) * 50, Decimal(0)), _HUNDRED)
    else:
        growth = _HUNDRED if facts.revenue_12m > 0 else Decimal(0)
    components = {
        "revenue": _ratio_score(facts.revenue_12m, policy.revenue_full),
        "growth": growth,
        "industry": Decimal(policy.industry_scores.get(facts.industry or "", policy.default_industry_score)),
        "size": _ratio_score(Decimal(facts.employees or 0), Decimal(policy.employees_full)),
        "engagement": _ratio_score(Decimal(facts.activities_90d), Decimal(policy.activities_full)),
    }
    components = {k: v.quantize(_CENT, ROUND_HALF_UP) for k, v in components.items()}
    score = sum((components[k] * w for k, w in policy.weights.items() if k in components), Decimal(0))
    score = score.quantize(_CENT, ROUND_HALF_UP)
    grade = policy.thresholds[-1][0]
    for g, cut in policy.thresholds:
        if score >= cut:
            grade = g
            break
    return GradeResult(facts.account_id, grade, score, components)


def visit_due(grade: str | None, last_visit: datetime | None, policy: GradingPolicy, now: datetime) -> bool:
    """Whether an account of ``grade`` is due a visit (A every 14 days, B 30, C 90 by default)."""
    every = policy.visit_every_days.get(grade or "")
    if every is None:
        return False
    return last_visit is None or now - last_visit >= timedelta(days=every)


# --- discount authority and approval routing --------------------------------------------------


def decide_authority(matrix: AuthorityMatrix, lines: Sequence[DiscountLine]) -> AuthorityDecision:
    """The lowest level whose concession ceiling and per-series rate ceilings cover every line.

    The concession is Σ quantity × list price × discount rate (the money given away). A
    request no level can grant is refused with the reason, e.g. a 35 % discount when the
    director's ceiling is 30 %.
    """
    concession = sum((ln.quantity * ln.list_price * ln.discount_rate for ln in lines), Decimal(0))
    concession = concession.quantize(_CENT, ROUND_HALF_UP)
    gross = sum((ln.quantity * ln.list_price for ln in lines), Decimal(0)).quantize(_CENT, ROUND_HALF_UP)
    net = gross - concession
    max_rate = max((ln.discount_rate for ln in lines), default=Decimal(0))
    reasons: list[str] = []
    for lv in matrix.levels:
        over_money = lv.max_concession is not None and concession > lv.max_concession
        over_rate = [ln for ln in lines if ln.discount_rate > lv.rate_limit(ln.series)]
        if not over_money and not over_rate:
            reasons.append(f"{lv.level} may grant a concession of ¥{concession:,} at up to {_pct(max_rate)}")
            return AuthorityDecision(lv.level, concession, net, max_rate, tuple(reasons),
                                     net >= matrix.compliance_threshold)
        if over_money:
            reasons.append(f"concession ¥{concession:,} exceeds the {lv.level} limit ¥{lv.max_concession:,}")
        for ln in over_rate:
            what = ln.product_name or (f"product {ln.product_id}" if ln.product_id else "a line")
            reasons.append(f"discount {_pct(ln.discount_rate)} on {what} exceeds the {lv.level} limit "
                           f"{_pct(lv.rate_limit(ln.series))}")
    reasons.append("no level of the authority matrix may grant this discount")
    return AuthorityDecision(None, concession, net, max_rate, tuple(reasons), net >= matrix.compliance_threshold)


def _pct(rate: Decimal) -> str:
    return f"{(rate * _HUNDRED).normalize():f}%"


def approval_level(kind: str, matrix: AuthorityMatrix, amount: Decimal, decided_level: str | None = None) -> str:
    """Which level decides a request: a discount by the authority decision, a compliance review
    by the delivery side, a trial-fund proposal by its budget."""
    if kind == ApprovalKind.DISCOUNT:
        if decided_level is None:
            raise ValueError("a discount request needs the authority decision's level")
        return decided_level
    if kind == ApprovalKind.COMPLIANCE_REVIEW:
        return "delivery"
    if kind == ApprovalKind.TRIAL_FUND:
        return "manager" if amount <= matrix.trial_manager_limit else "director"
    raise ValueError(f"unknown approval kind {kind!r}")


ESCALATION = {"manager": "director", "delivery": "director", "director": "admin", "rep": "manager"}


def escalation_level(level: str) -> str | None:
    """The level an overdue request moves to; ``admin`` (the company's top) is the last."""
    return ESCALATION.get(level)


# --- process analytics (reference for the set-based version in ``batch``) ----------------------


@dataclass(frozen=True, slots=True)
class MoveRow:
    opportunity_id: int
    stage_key: str
    entered_at: datetime
    left_at: datetime | None


@dataclass(frozen=True, slots=True)
class StageStat:
    stage_key: str
    deals: int
    avg_days: Decimal
    norm_days: int | None
    over_norm: int  # deals that stayed longer than the norm


@dataclass(frozen=True, slots=True)
class ActionStat:
    stage_key: str
    action_key: str
    closed_deals: int
    done: int
    skipped: int
    win_rate_done: Decimal | None
    win_rate_skipped: Decimal | None

    @property
    def lift(self) -> Decimal | None:
        """Win-rate difference (done − skipped): which actions go with winning."""
        if self.win_rate_done is None or self.win_rate_skipped is None:
            return None
        return self.win_rate_done - self.win_rate_skipped


def stage_stats(playbook: Playbook, moves: Sequence[MoveRow], now: datetime) -> list[StageStat]:
    """Average days spent per stage (open stays counted up to ``now``) against the norm.

    The final stage (签约) is where a won deal ends, not a stage it works through: its deals
    are counted, its days are zero (else every won deal would age there until ``now``)."""
    days: dict[str, list[Decimal]] = defaultdict(list)
    for m in moves:
        end = m.entered_at if m.stage_key == playbook.final.key else (m.left_at or now)
        days[m.stage_key].append(Decimal((end - m.entered_at).total_seconds()) / Decimal(86400))
    out = []
    for s in playbook.stages:
        spans = days.get(s.key, [])
        avg = (sum(spans, Decimal(0)) / len(spans)).quantize(Decimal("0.1"), ROUND_HALF_UP) if spans else Decimal(0)
        over = sum(1 for d in spans if s.norm_days is not None and d > s.norm_days)
        out.append(StageStat(s.key, len(spans), avg, s.norm_days, over))
    return out


def action_win_rates(
    playbook: Playbook,
    visited: Mapping[int, set[str]],
    done: Mapping[int, set[tuple[str, str]]],
    won: Mapping[int, bool],
) -> list[ActionStat]:
    """For closed deals that passed through a stage: did doing each action go with winning?

    ``visited``: stages each deal was in; ``done``: (stage, action) pairs done; ``won``:
    closed deals and their outcome (open deals are left out).
    """
    out = []
    for s in playbook.stages:
        for a in s.actions:
            deals = [d for d in won if s.key in visited.get(d, set())]
            did = [d for d in deals if (s.key, a.key) in done.get(d, set())]
            skipped = [d for d in deals if (s.key, a.key) not in done.get(d, set())]
            out.append(ActionStat(s.key, a.key, len(deals), len(did), len(skipped), _rate(did, won),
                                  _rate(skipped, won)))
    return out


def _rate(deals: list[int], won: Mapping[int, bool]) -> Decimal | None:
    if not deals:
        return None
    return (Decimal(sum(1 for d in deals if won[d])) / Decimal(len(deals))).quantize(Decimal("0.001"), ROUND_HALF_UP)
