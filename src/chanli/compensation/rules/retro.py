"""Retro adjustments and dispute adjustments: lines a run adds after the engine.

Why by difference: a locked period is never rewritten. When inputs of a locked period change
(a back-dated order, a corrected quota, a late split), the next run recalculates that period
with the plan version it used and today's facts, and pays the difference to what was paid for
it so far — the original lines plus any retro lines already approved — as adjustment lines
that refer to the original lines. Recalculating again with nothing changed gives nothing.

Stateful components are left out (``SETTLE_FORWARD``): a clawback is already computed by
difference against everything paid to date, and a draw carries its balance forward, so both
settle in the current period by themselves; recalculating them would count twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from chanli.compensation.model import Adjustment, PaidLine, RunResult, StatementLine
from chanli.compensation.rules.maths import money

__all__ = ["SETTLE_FORWARD", "dispute_adjustment", "retro_adjustments"]

SETTLE_FORWARD = frozenset({"clawback", "draw", "retro_adjustment", "dispute_adjustment"})
ZERO = Decimal("0.00")


def _by_order(parts: Iterable[tuple[int, Decimal]], sign: int = 1) -> dict[int, Decimal]:
    out: dict[int, Decimal] = {}
    for order_id, part in parts:
        out[order_id] = out.get(order_id, ZERO) + sign * part
    return out


def retro_adjustments(
    period_label: str,
    recalculated: RunResult,
    paid: Sequence[PaidLine],
    currency: str,
) -> list[Adjustment]:
    """One line per (person, component) whose recalculated amount differs from what was paid
    for ``period_label``: recalculated − paid, attributed to orders by the same difference
    (kept only when it sums exactly to the line, so clawbacks stay right)."""
    new: dict[tuple[int, str], list[StatementLine]] = {}
    for s in recalculated.statements:
        for line in s.lines:
            if line.kind not in SETTLE_FORWARD:
                new.setdefault((line.person_id, line.component_id), []).append(line)
    old: dict[tuple[int, str], list[PaidLine]] = {}
    for line in paid:
        if line.kind not in SETTLE_FORWARD or line.kind == "retro_adjustment":
            old.setdefault((line.person_id, line.component_id), []).append(line)
    out: list[Adjustment] = []
    for key in sorted(set(new) | set(old)):
        now_lines, then_lines = new.get(key, []), old.get(key, [])
        now = sum((ln.amount for ln in now_lines), ZERO)
        then = sum((ln.amount for ln in then_lines), ZERO)
        diff = now - then
        if diff == 0:
            continue
        parts = _by_order(p for ln in now_lines for p in ln.attribution)
        for order_id, part in _by_order((p for ln in then_lines for p in ln.attribution), -1).items():
            parts[order_id] = parts.get(order_id, ZERO) + part
        attribution = tuple((o, a) for o, a in sorted(parts.items()) if a != 0)
        if sum((a for _, a in attribution), ZERO) != diff:
            attribution = ()
        label = (now_lines or then_lines)[0].label
        person_id, component_id = key
        sources = sorted({src for ln in now_lines for src in ln.sources})
        formula = (
            f"{period_label} {label} 按现有数据重算 {money(now, currency)} − 已发放 {money(then, currency)}"
            f" = 追溯调整 {money(diff, currency)}（该期已锁定，差额在本期发放）"
        )
        line = StatementLine(
            person_id=person_id,
            component_id=component_id,
            kind="retro_adjustment",
            label=f"追溯调整·{label}",
            amount=diff,
            formula=formula,
            inputs=(("period", period_label), ("recalculated", now), ("paid", then)),
            sources=(f"period:{period_label}", *sources),
            attribution=attribution,
        )
        refs = tuple(sorted(ln.line_id for ln in then_lines))
        out.append(Adjustment(line, refs, period_label))
    return out


def dispute_adjustment(
    dispute_id: int,
    person_id: int,
    original: PaidLine,
    period_label: str | None,
    amount: Decimal,
    resolution: str,
    currency: str,
) -> Adjustment:
    """An accepted dispute: the amount comp admin accepted, paid by the next run of the plan,
    referring to the disputed line."""
    reason = f"：{resolution}" if resolution else ""
    line = StatementLine(
        person_id=person_id,
        component_id=original.component_id,
        kind="dispute_adjustment",
        label=f"争议调整·{original.label}",
        amount=amount,
        formula=(
            f"争议 #{dispute_id} 已受理{reason}；原行 {original.label} {money(original.amount, currency)}"
            f"，调整 {money(amount, currency)}"
        ),
        inputs=(("dispute", dispute_id), ("original_amount", original.amount)),
        sources=(f"dispute:{dispute_id}",),
    )
    return Adjustment(line, (original.line_id,), period_label)
