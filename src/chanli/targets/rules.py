"""Pure target maths: decomposition, SMART checks, pacing, monthly review, OKR roll-up and the
customer success index. Plain values in, values and ``Issue``s out; no I/O, no clock.

Exactness: every split uses ``core.money.allocate`` at the metric's quantum (the fen for money,
one for counts), so children always sum exactly to their parent, in every period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from chanli.core.issues import Issue, Issues, Severity
from chanli.core.money import allocate
from chanli.core.periods import Grain, Period
from chanli.targets.model import (
    DecompositionMethod,
    KeyResult,
    MetricDef,
    Objective,
    OwnerRef,
    OwnerSpec,
    PaceStatus,
    Pacing,
    PacingThresholds,
)

__all__ = [
    "DEFAULT_TIER_WEIGHTS",
    "Decomposition",
    "capacity_weight",
    "customer_success_index",
    "decompose",
    "key_result_progress",
    "objective_progress",
    "owner_weights",
    "pace",
    "period_weights",
    "propose_redistribution",
    "reweight",
    "rollup_gaps",
    "smart_check",
    "split",
]

ONE = Decimal(1)
ZERO = Decimal(0)
DEFAULT_TIER_WEIGHTS: Mapping[str, Decimal] = {"new": Decimal("0.6"), "core": Decimal("1.0"), "elite": Decimal("1.4")}


def split(total: Decimal, weights: Sequence[Decimal], quantum: Decimal) -> list[Decimal]:
    """Split ``total`` by ``weights`` exactly at ``quantum`` (largest remainder)."""
    q_total = (total / quantum).to_integral_value(ROUND_HALF_UP) * quantum
    return allocate(q_total, list(weights), quantum)


# --- weights down the calendar -----------------------------------------------------------


def _position(period: Period) -> tuple[Grain, int]:
    """Where a period sits within its year, to match it with the same slot in past years."""
    if period.grain is Grain.MONTH:
        return period.grain, period.start.month
    if period.grain is Grain.QUARTER:
        return period.grain, (period.start.month - 1) // 3
    if period.grain is Grain.WEEK:
        return period.grain, period.start.isocalendar().week
    return period.grain, period.start.timetuple().tm_yday


def period_weights(
    children: Sequence[Period],
    method: DecompositionMethod,
    *,
    history: Mapping[date, Decimal] | None = None,
    history_grain: Grain = Grain.MONTH,
    min_history_slots: int = 12,
    is_working_day: Callable[[date], bool] | None = None,
) -> tuple[list[Decimal], list[Issue]]:
    """Weights for splitting a target over ``children`` periods, with notes on fallbacks.

    - ``equal``: the same share each.
    - ``seasonal``: last years' actuals of the same metric; ``history`` maps the start day of
      each past period (at ``history_grain``) to its actual. Each child gets the sum of the
      history days that fall in the same calendar slots (months/quarters/weeks) it covers.
      With fewer than ``min_history_slots`` periods of history, or none positive, it falls
      back to equal and says so.
    - ``working_days``: the number of working days in each child.
    """
    notes: list[Issue] = []
    if method is DecompositionMethod.EQUAL:
        return [ONE] * len(children), notes
    if method is DecompositionMethod.WORKING_DAYS:
        if is_working_day is None:
            raise ValueError("working-day weights need a working-day calendar")
        weights = [Decimal(sum(1 for d in c.each_day() if is_working_day(d))) for c in children]
        if sum(weights) == 0:
            notes.append(
                Issue("decompose.no_working_days", "no working days in the period; split equally", Severity.WARNING)
            )
            return [ONE] * len(children), notes
        return weights, notes
    if method is DecompositionMethod.SEASONAL:
        hist = {d: v for d, v in (history or {}).items() if v is not None}
        if len(hist) < min_history_slots or sum(hist.values(), ZERO) <= 0:
            notes.append(
                Issue(
                    "decompose.thin_history",
                    f"only {len(hist)} periods of history (need {min_history_slots}); split equally instead",
                    Severity.WARNING,
                )
            )
            return [ONE] * len(children), notes
        by_slot: dict[int, Decimal] = {}
        for start, value in hist.items():
            key = start.month if history_grain is Grain.MONTH else (start.month - 1) // 3
            by_slot[key] = by_slot.get(key, ZERO) + max(value, ZERO)
        weights = []
        for child in children:
            months = {d.month for d in child.each_day()}
            # a week or a day takes its month's weight pro rata by days
            if child.grain in (Grain.WEEK, Grain.DAY):
                w = sum((by_slot.get(d.month, ZERO) / Decimal(_days_in_month(d)) for d in child.each_day()), ZERO)
            elif history_grain is Grain.MONTH:
                w = sum((by_slot.get(m, ZERO) for m in months), ZERO)
            else:
                w = sum((by_slot.get((m - 1) // 3, ZERO) for m in months), ZERO) / Decimal(3)
            weights.append(w)
        if sum(weights) <= 0:
            notes.append(
                Issue(
                    "decompose.no_seasonal_signal",
                    "history has no actuals in these periods; split equally",
                    Severity.WARNING,
                )
            )
            return [ONE] * len(children), notes
        return weights, notes
    raise ValueError(f"{method.value} is not a way to split over periods (use equal, seasonal or working_days)")


def _days_in_month(d: date) -> int:
    nxt = date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
    return (nxt - date(d.year, d.month, 1)).days


# --- weights down the org tree -----------------------------------------------------------


def capacity_weight(
    spec: OwnerSpec,
    as_of: date,
    tier_weights: Mapping[str, Decimal] = DEFAULT_TIER_WEIGHTS,
    ramp_months: int = 6,
    ramp_floor: Decimal = Decimal("0.3"),
) -> Decimal:
    """How much a person (or team) can carry: tier weight × tenure ramp × headcount.

    A new hire ramps linearly from ``ramp_floor`` on the hire date to full capacity after
    ``ramp_months``; someone hired after ``as_of`` gets only the floor.
    """
    base = tier_weights.get(spec.tier or "core", ONE) if spec.tier else ONE
    ramp = ONE
    if spec.hire_date is not None and ramp_months > 0:
        months = Decimal((as_of.year - spec.hire_date.year) * 12 + (as_of.month - spec.hire_date.month))
        months = max(months, ZERO)
        ramp = min(ONE, ramp_floor + (ONE - ramp_floor) * months / Decimal(ramp_months))
    return base * ramp * Decimal(max(spec.headcount, 0))


def owner_weights(
    owners: Sequence[OwnerSpec],
    method: DecompositionMethod,
    *,
    as_of: date,
    tier_weights: Mapping[str, Decimal] = DEFAULT_TIER_WEIGHTS,
) -> tuple[list[Decimal], list[Issue]]:
    """Weights for splitting a target among child owners, with notes on fallbacks."""
    notes: list[Issue] = []
    if method is DecompositionMethod.EQUAL:
        return [ONE] * len(owners), notes
    if method is DecompositionMethod.CAPACITY:
        return [capacity_weight(o, as_of, tier_weights) for o in owners], notes
    if method in (DecompositionMethod.LAST_YEAR, DecompositionMethod.POTENTIAL):
        values = [max(o.last_year if method is DecompositionMethod.LAST_YEAR else o.potential, ZERO) for o in owners]
        if sum(values, ZERO) <= 0:
            what = "last year's actuals" if method is DecompositionMethod.LAST_YEAR else "territory potential"
            notes.append(
                Issue("decompose.no_basis", f"no {what} for these owners; split by capacity instead", Severity.WARNING)
            )
            return [capacity_weight(o, as_of, tier_weights) for o in owners], notes
        if method is DecompositionMethod.LAST_YEAR:
            # nobody gets zero just because they are new: give them a floor at capacity-scaled share
            missing = [i for i, v in enumerate(values) if v == 0]
            if missing:
                avg = sum(values, ZERO) / Decimal(len(values) - len(missing))
                for i in missing:
                    values[i] = avg * capacity_weight(owners[i], as_of, tier_weights)
                notes.append(
                    Issue(
                        "decompose.new_owner",
                        f"{len(missing)} owner(s) had no actuals last year and "
                        "were given a capacity-scaled average share",
                        Severity.WARNING,
                    )
                )
        return values, notes
    raise ValueError(f"{method.value} is not a way to split among owners (use equal, capacity, last_year, potential)")


# --- the plan grid -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Decomposition:
    """A grid of owner × period values.

    ``cells[owner][i]`` is the owner's value in ``periods[i]``. For additive metrics children
    sum exactly to the parent in every period; each owner's total is the sum of its cells.
    """

    periods: tuple[Period, ...]
    cells: dict[OwnerRef, tuple[Decimal, ...]]
    parent: OwnerRef
    notes: tuple[Issue, ...] = ()

    def total(self, owner: OwnerRef) -> Decimal:
        return sum(self.cells[owner], ZERO)

    def column(self, i: int, owners: Sequence[OwnerRef]) -> Decimal:
        return sum((self.cells[o][i] for o in owners), ZERO)


def decompose(
    metric: MetricDef,
    total: Decimal,
    parent: OwnerRef,
    periods: Sequence[Period],
    period_w: Sequence[Decimal],
    children: Sequence[OwnerSpec],
    child_w: Sequence[Decimal],
    notes: Sequence[Issue] = (),
) -> Decomposition:
    """Split a parent's target over periods, then each period's value over children.

    Splitting period by period (not child-year by child-year) is what keeps both margins
    exact: every period's children sum to the parent's period value, and every owner's
    periods sum to the owner's total. Non-additive metrics (rates, averages) give every
    period and child the parent's value unchanged.
    """
    if total < 0:
        raise ValueError("a target cannot be negative")
    if len(periods) != len(period_w) or len(children) != len(child_w):
        raise ValueError("one weight per period and per child")
    if not metric.additive:
        cells = {parent: tuple(total for _ in periods)}
        cells.update({c.owner: tuple(total for _ in periods) for c in children})
        return Decomposition(tuple(periods), cells, parent, tuple(notes))
    q = metric.unit.quantum
    parent_cells = split(total, period_w, q)
    per_child: dict[OwnerRef, list[Decimal]] = {c.owner: [] for c in children}
    for value in parent_cells:
        if children:
            for c, part in zip(children, split(value, child_w, q), strict=True):
                per_child[c.owner].append(part)
    cells = {parent: tuple(parent_cells)} | {o: tuple(v) for o, v in per_child.items()}
    return Decomposition(tuple(periods), cells, parent, tuple(notes))


def rollup_gaps(top_down: Mapping[OwnerRef, Decimal], bottom_up: Mapping[OwnerRef, Decimal]) -> dict[OwnerRef, Decimal]:
    """Bottom-up minus top-down per owner (positive: the team commits to more than asked)."""
    keys = set(top_down) | set(bottom_up)
    return {k: bottom_up.get(k, ZERO) - top_down.get(k, ZERO) for k in keys}


# --- SMART -------------------------------------------------------------------------------


def smart_check(
    *,
    metric_code: str | None,
    metric: MetricDef | None,
    owner: OwnerRef | None,
    period: Period | None,
    value: Decimal,
    has_data: bool,
    run_rate: Decimal | None,
    peer_median: Decimal | None,
    linked: bool,
    band: tuple[Decimal, Decimal] = (Decimal("0.8"), Decimal("1.5")),
) -> Issues:
    """Check a target against SMART, with reasons a person can act on.

    ``run_rate`` is the owner's trailing actual scaled to this period's length and
    ``peer_median`` the median target (or actual) of peers of the same tier for the same
    period. Outside ``band`` × either reference is a warning with the numbers, not an error:
    a stretch goal may be deliberate.
    """
    out = Issues()
    if metric is None or owner is None:
        missing = "metric" if metric is None else "owner"
        out.error(
            "smart.specific", f"not specific: a target needs exactly one metric and one owner ({missing} missing)"
        )
    if metric is None:
        out.error("smart.measurable", f"not measurable: metric {metric_code!r} is not defined")
    elif not has_data:
        out.warning(
            "smart.measurable",
            f"no {metric.label_en.lower()} has been recorded for this owner yet; "
            "progress will show zero until facts arrive",
        )
    if value < 0:
        out.error("smart.value", "a target cannot be negative")
    lo, hi = band
    for ref, name in ((run_rate, "trailing run-rate"), (peer_median, "peer median")):
        if ref is None or ref <= 0 or metric is None:
            continue
        ratio = value / ref
        if not lo <= ratio <= hi:
            direction = "above" if ratio > hi else "below"
            out.warning(
                "smart.achievable",
                f"not achievable as set? {value:,.2f} is {ratio:.2f}× the {name} ({ref:,.2f}), "
                f"{direction} the {lo}×–{hi}× band",
            )
    if not linked:
        out.warning("smart.relevant", "not linked to a parent target or objective; link it so it rolls up")
    if period is None:
        out.error("smart.time_bound", "not time-bound: a target needs a period")
    return out


# --- pacing ------------------------------------------------------------------------------


def pace(
    target: Decimal,
    actual: Decimal,
    elapsed: Decimal,
    *,
    higher_is_better: bool = True,
    additive: bool = True,
    pipeline_weighted: Decimal | None = None,
    thresholds: PacingThresholds = PacingThresholds(),
) -> Pacing:
    """Actual vs target and vs what was expected by now, with a projection and a status.

    For additive metrics the expectation grows with the elapsed share of the period; for
    rates and averages the target applies at every moment, so expected = target.
    """
    elapsed = min(max(elapsed, ZERO), ONE)
    expected = target * elapsed if additive else target
    attainment = (actual / target) if target else None
    if expected:
        ratio = actual / expected if higher_is_better else (expected / actual if actual else Decimal(99))
    else:
        ratio = None
    run_rate = (actual / elapsed) if (additive and elapsed > 0) else (actual if not additive else None)
    with_pipeline = actual + pipeline_weighted if (additive and pipeline_weighted is not None) else None
    if ratio is None:
        status, reason = PaceStatus.ON_TRACK, "nothing expected yet"
    elif ratio >= thresholds.ahead:
        status, reason = PaceStatus.AHEAD, f"{ratio:.0%} of what was expected by now"
    elif ratio >= thresholds.on_track:
        status, reason = PaceStatus.ON_TRACK, f"{ratio:.0%} of what was expected by now"
    elif ratio >= thresholds.behind:
        status, reason = PaceStatus.BEHIND, f"{ratio:.0%} of what was expected by now"
    else:
        status, reason = PaceStatus.AT_RISK, f"only {ratio:.0%} of what was expected by now"
    # a weighted pipeline that closes the gap lifts "at risk" to "behind": recoverable
    if status is PaceStatus.AT_RISK and with_pipeline is not None and target and with_pipeline >= target:
        status, reason = PaceStatus.BEHIND, reason + "; the weighted pipeline would still reach the target"
    return Pacing(
        target=target,
        actual=actual,
        elapsed=elapsed,
        expected_to_date=expected,
        attainment=attainment,
        pace_ratio=ratio,
        projected_run_rate=run_rate,
        projected_with_pipeline=with_pipeline,
        status=status,
        reason=reason,
    )


# --- monthly review ----------------------------------------------------------------------


def propose_redistribution(
    targets: Sequence[Decimal],
    actuals: Sequence[Decimal | None],
    closed: int,
    quantum: Decimal,
) -> list[Decimal]:
    """Spread the shortfall (or surplus) of the ``closed`` periods over the remaining ones.

    The closed periods keep their targets (history is never rewritten); the remaining
    periods share the gap in proportion to their current targets, so the total for the
    year stays what was agreed. A surplus lowers later targets, but never below zero.
    """
    if not 0 <= closed <= len(targets):
        raise ValueError("closed must be between 0 and the number of periods")
    if closed == len(targets):
        return list(targets)
    gap = sum((t - (a or ZERO) for t, a in zip(targets[:closed], actuals[:closed], strict=True)), ZERO)
    remaining = list(targets[closed:])
    new_total = max(sum(remaining, ZERO) + gap, ZERO)
    weights = remaining if sum(remaining, ZERO) > 0 else [ONE] * len(remaining)
    return list(targets[:closed]) + split(new_total, weights, quantum)


def reweight(
    weights: Mapping[str, Decimal],
    emphasis: Mapping[str, Decimal],
    bounds: Mapping[str, tuple[Decimal, Decimal]],
    quantum: Decimal = Decimal("0.0001"),
) -> tuple[dict[str, Decimal], Issues]:
    """Elastic metric weights: multiply by ``emphasis`` (promo season: new customers × 1.5),
    renormalise to 1, and clip into the HQ ``bounds``; weights always sum exactly to 1."""
    issues = Issues()
    raw = {k: weights[k] * emphasis.get(k, ONE) for k in weights}
    total = sum(raw.values(), ZERO)
    if total <= 0:
        raise ValueError("weights must have a positive sum")
    w = {k: v / total for k, v in raw.items()}
    for _ in range(len(w) + 1):  # clip and redistribute the excess among unclipped metrics
        fixed: dict[str, Decimal] = {}
        for k, v in w.items():
            lo, hi = bounds.get(k, (ZERO, ONE))
            if v < lo:
                fixed[k] = lo
            elif v > hi:
                fixed[k] = hi
        if not fixed:
            break
        free = [k for k in w if k not in fixed]
        left = ONE - sum(fixed.values(), ZERO)
        free_total = sum((w[k] for k in free), ZERO)
        for k in free:
            w[k] = left * w[k] / free_total if free_total else left / len(free)
        w.update(fixed)
        for k, v in fixed.items():
            issues.warning("weights.clipped", f"{k} weight held at {v} by the HQ bounds")
        if not free:
            break
    keys = list(w)
    parts = split(ONE, [w[k] for k in keys], quantum)
    return dict(zip(keys, parts, strict=True)), issues


# --- OKR ---------------------------------------------------------------------------------


def key_result_progress(kr: KeyResult) -> Decimal:
    """Share of the way from start to target, clamped to 0–1 (works for decreasing goals too)."""
    span = kr.target - kr.start
    if span == 0:
        return ONE if kr.current == kr.target else ZERO
    return min(max((kr.current - kr.start) / span, ZERO), ONE)


def objective_progress(objectives: Sequence[Objective]) -> dict[int, Decimal]:
    """Progress of every objective: the weighted mean of its key results and child objectives.

    Children roll up into parents by their ``weight``; an objective with neither key results
    nor children has progress 0. Cycles in bad data are refused rather than looping.
    """
    by_id = {o.id: o for o in objectives}
    children: dict[int, list[Objective]] = {}
    for o in objectives:
        if o.parent_id is not None:
            children.setdefault(o.parent_id, []).append(o)
    done: dict[int, Decimal] = {}
    visiting: set[int] = set()

    def walk(oid: int) -> Decimal:
        if oid in done:
            return done[oid]
        if oid in visiting:
            raise ValueError(f"objective {oid} is its own ancestor")
        visiting.add(oid)
        o = by_id[oid]
        parts = [(kr.weight, key_result_progress(kr)) for kr in o.key_results]
        parts += [(c.weight, walk(c.id)) for c in children.get(oid, [])]
        total_w = sum((w for w, _ in parts), ZERO)
        value = sum((w * p for w, p in parts), ZERO) / total_w if total_w else ZERO
        done[oid] = value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
        visiting.discard(oid)
        return done[oid]

    for o in objectives:
        walk(o.id)
    return done


# --- customer success index --------------------------------------------------------------

DEFAULT_CSI_WEIGHTS: Mapping[str, Decimal] = {
    "renewal_rate": Decimal("0.4"),
    "satisfaction": Decimal("0.4"),
    "complaint_rate": Decimal("0.2"),
}


def customer_success_index(
    values: Mapping[str, Decimal | None],
    weights: Mapping[str, Decimal] = DEFAULT_CSI_WEIGHTS,
) -> Decimal | None:
    """A 0–100 index from rates (0–1) and scores (0–100); lower-is-better parts are inverted.

    Missing components are left out and the remaining weights renormalised, so a new account
    with no renewal due yet is judged on what is known. ``None`` when nothing is known.
    """
    scaled: dict[str, Decimal] = {}
    for key, v in values.items():
        if v is None or key not in weights:
            continue
        if key == "satisfaction":
            scaled[key] = min(max(v, ZERO), Decimal(100))
        elif key == "complaint_rate":
            scaled[key] = (ONE - min(max(v, ZERO), ONE)) * 100
        else:
            scaled[key] = min(max(v, ZERO), ONE) * 100
    total_w = sum((weights[k] for k in scaled), ZERO)
    if not scaled or total_w == 0:
        return None
    index = sum((weights[k] * scaled[k] for k in scaled), ZERO) / total_w
    return index.quantize(Decimal("0.1"), ROUND_HALF_UP)
