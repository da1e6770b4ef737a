"""Pure target maths: decomposition, SMART checks, pacing, monthly review, OKR roll-up and the
customer success index. Plain values in, values and ``Issue``s out; no I/O, no clock.

Exactness: every split uses ``core.money.allocate`` at the metric's quantum (the fen for money,
one for counts), so children always sum exactly to their parent, in every period.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from chanli.core.issues import Issue, Issues, Severity
from chanli.core.money import allocate
from chanli.core.periods import FiscalCalendar, Grain, Period
from chanli.targets.model import (
    DecompositionMethod,
    FactSet,
    KeyResult,
    MetricDef,
    MetricUnit,
    Objective,
    OrderFact,
    OwnerRef,
    OwnerSpec,
    PaceStatus,
    Pacing,
    PacingThresholds,
    PlanShape,
)

__all__ = [
    "DEFAULT_CSI_WEIGHTS",
    "DEFAULT_TIER_WEIGHTS",
    "Decomposition",
    "Grid",
    "apply_leaf_values",
    "build_grid",
    "capacity_weight",
    "customer_success_index",
    "decompose",
    "edit_cell",
    "grid_from_leaves",
    "grid_issues",
    "hold_closed_periods",
    "key_result_progress",
    "median",
    "metric_value",
    "objective_progress",
    "owner_weights",
    "pace",
    "period_tree",
    "period_weights",
    "propose_redistribution",
    "redistribute_leaves",
    "reference_metric_cells",
    "reweight",
    "roll_up_tree",
    "rollup_gaps",
    "run_rate",
    "smart_check",
    "split",
    "working_day_calendar",
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
      each past period (at ``history_grain``) to its actual. Each calendar slot (month or
      quarter) weighs the mean of its actuals over the years it was seen, and each child gets
      the weight of the slots it covers.
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
        sums: dict[int, Decimal] = {}
        years: dict[int, int] = {}
        for start, value in hist.items():
            key = start.month if history_grain is Grain.MONTH else (start.month - 1) // 3
            sums[key] = sums.get(key, ZERO) + max(value, ZERO)
            years[key] = years.get(key, 0) + 1
        # the mean per slot, not the sum: a month seen in two years must not weigh double
        by_slot = {k: v / years[k] for k, v in sums.items()}
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


# --- the plan grid: two trees, exact on both margins --------------------------------------
#
# A plan is a grid of owner × period cells. The root owner's value is split down the
# calendar (year → quarters → months [→ weeks]); every *leaf* period's value is then split
# down the org tree; every coarser cell is the sum of its leaf cells. So in every period the
# children of an owner sum exactly to it, and every owner's months sum exactly to its
# quarters and year. Edits and reviews change leaf cells and keep both margins exact.

Grid = dict[tuple[OwnerRef, int], Decimal]


def period_tree(
    calendar: FiscalCalendar, period: Period, grains: Sequence[Grain]
) -> tuple[tuple[Period, ...], tuple[int | None, ...]]:
    """The plan period and its children at each finer grain, parents before children and
    each level in time order (so the leaves come out in calendar order)."""
    periods: list[Period] = [period]
    parents: list[int | None] = [None]
    frontier = [0]
    for grain in grains:
        months = grain.months
        if months is not None and periods[frontier[0]].grain.months is not None:
            coarser = periods[frontier[0]].grain.months or 0
            if months >= coarser:
                raise ValueError(f"{grain.value} is not finer than {periods[frontier[0]].grain.value}")
        nxt: list[int] = []
        for i in frontier:
            for child in calendar.children(periods[i], grain):
                periods.append(child)
                parents.append(i)
                nxt.append(len(periods) - 1)
        frontier = nxt
    return tuple(periods), tuple(parents)


def _on_quantum(value: Decimal, quantum: Decimal) -> bool:
    return (value / quantum) == (value / quantum).to_integral_value()


def _fill_totals(shape: PlanShape, grid: Grid, owners: Sequence[OwnerRef] | None = None) -> Grid:
    """Every coarser period cell = the sum of its children, for ``owners`` (default: all)."""
    coarse = [i for i in reversed(range(len(shape.periods))) if not shape.is_leaf_period(i)]
    for o in owners if owners is not None else shape.owners:
        for i in coarse:
            grid[(o, i)] = sum((grid[(o, k)] for k in shape.period_children(i)), ZERO)
    return grid


def build_grid(
    metric: MetricDef,
    total: Decimal,
    shape: PlanShape,
    period_w: Mapping[int, Sequence[Decimal]],
    owner_w: Mapping[OwnerRef, Sequence[Decimal]],
) -> Grid:
    """Split ``total`` for the root owner down the periods (``period_w[i]``: weights of period
    ``i``'s children), then each leaf period down the org tree (``owner_w[o]``: weights of
    ``o``'s children). Non-additive metrics give every cell the root value unchanged."""
    if total < 0:
        raise ValueError("a target cannot be negative")
    if not metric.additive:
        return {(o, i): total for o in shape.owners for i in range(len(shape.periods))}
    q = metric.unit.quantum
    root = shape.root
    root_cells: dict[int, Decimal] = {0: split(total, [ONE], q)[0]}
    for i in range(len(shape.periods)):
        kids = shape.period_children(i)
        if kids:
            weights = list(period_w.get(i) or [ONE] * len(kids))
            if len(weights) != len(kids):
                raise ValueError(f"period {shape.periods[i].label} needs {len(kids)} weights")
            for k, v in zip(kids, split(root_cells[i], weights, q), strict=True):
                root_cells[k] = v
    grid: Grid = {}
    for leaf in shape.leaves:
        grid[(root, leaf)] = root_cells[leaf]
        for o in shape.owners:
            kids = shape.owner_children(o)
            if kids:
                weights = list(owner_w.get(o) or [ONE] * len(kids))
                if len(weights) != len(kids):
                    raise ValueError(f"owner {o} needs {len(kids)} weights")
                for c, v in zip(kids, split(grid[(o, leaf)], weights, q), strict=True):
                    grid[(c, leaf)] = v
    return _fill_totals(shape, grid)


def _resplit(shape: PlanShape, grid: Grid, owner: OwnerRef, leaf: int, q: Decimal, touched: set[OwnerRef]) -> None:
    """Re-split an owner's new leaf value over its children in proportion to what they had
    (equally when they had nothing), all the way down."""
    kids = shape.owner_children(owner)
    if not kids:
        return
    parts = split(grid[(owner, leaf)], [grid[(k, leaf)] for k in kids], q)
    for k, v in zip(kids, parts, strict=True):
        if grid[(k, leaf)] != v:
            grid[(k, leaf)] = v
            touched.add(k)
            _resplit(shape, grid, k, leaf, q, touched)


def apply_leaf_values(
    metric: MetricDef, shape: PlanShape, grid: Grid, owner: OwnerRef, values: Mapping[int, Decimal]
) -> Grid:
    """Set ``owner``'s leaf cells to ``values``: its subtree is re-split in proportion, and
    every ancestor moves by the same amount in that period, so both margins stay exact."""
    g = dict(grid)
    if not metric.additive:
        for leaf, v in values.items():
            if v < 0:
                raise ValueError("a target cannot be negative")
            g[(owner, leaf)] = v
        return g
    q = metric.unit.quantum
    touched: set[OwnerRef] = {owner}
    ancestors = shape.ancestors(owner)
    for leaf, value in values.items():
        if not shape.is_leaf_period(leaf):
            raise ValueError(f"{shape.periods[leaf].label} is not a leaf period of the plan")
        if value < 0:
            raise ValueError("a target cannot be negative")
        if not _on_quantum(value, q):
            raise ValueError(f"{metric.label_en} targets are set in steps of {q}")
        delta = value - g[(owner, leaf)]
        if delta == 0:
            continue
        g[(owner, leaf)] = value
        _resplit(shape, g, owner, leaf, q, touched)
        for a in ancestors:
            g[(a, leaf)] += delta
            touched.add(a)
    return _fill_totals(shape, g, [o for o in shape.owners if o in touched])


def edit_cell(metric: MetricDef, shape: PlanShape, grid: Grid, owner: OwnerRef, index: int, value: Decimal) -> Grid:
    """Change one cell and keep what contains it fixed.

    - a leaf cell of a non-root owner: its siblings in that period share the rest of the
      parent's value in proportion to what they had, so the parent does not move;
    - a cell of the root owner: the other periods inside the same parent period share the
      rest (editing the plan period itself rescales every period in proportion);
    - the owner's subtree is always re-split in proportion.

    Coarser cells of non-root owners are sums of their months, so they are not edited
    directly: edit the months.
    """
    if value < 0:
        raise ValueError("a target cannot be negative")
    if not metric.additive:
        g = dict(grid)
        g[(owner, index)] = value
        return g
    q = metric.unit.quantum
    if not _on_quantum(value, q):
        raise ValueError(f"{metric.label_en} targets are set in steps of {q}")
    parent = shape.owner_parent.get(owner)
    if parent is not None:
        if not shape.is_leaf_period(index):
            raise ValueError(
                f"{shape.periods[index].label} of {owner} is the sum of its months: edit the months instead"
            )
        container = grid[(parent, index)]
        if value > container:
            raise ValueError(f"{value} is more than the parent's {container} for {shape.periods[index].label}")
        others = [s for s in shape.owner_children(parent) if s != owner]
        if not others:
            if value != container:
                raise ValueError(f"{owner} is the only child of {parent}: edit {parent} instead")
            return dict(grid)
        new = {owner: value} | dict(
            zip(others, split(container - value, [grid[(s, index)] for s in others], q), strict=True)
        )
        g = grid
        for o, v in new.items():
            g = apply_leaf_values(metric, shape, g, o, {index: v})
        return g
    pidx = shape.period_parent[index]
    if pidx is None:
        leaves = shape.leaves
        parts = split(value, [grid[(owner, leaf)] for leaf in leaves], q)
        return apply_leaf_values(metric, shape, grid, owner, dict(zip(leaves, parts, strict=True)))
    container = grid[(owner, pidx)]
    if value > container:
        raise ValueError(f"{value} is more than the {container} of {shape.periods[pidx].label}")
    siblings = [k for k in shape.period_children(pidx) if k != index]
    new_periods = {index: value} | dict(
        zip(siblings, split(container - value, [grid[(owner, k)] for k in siblings], q), strict=True)
    )
    leaf_values: dict[int, Decimal] = {}
    for p, v in new_periods.items():
        leaves = shape.leaves_under(p)
        leaf_values.update(zip(leaves, split(v, [grid[(owner, leaf)] for leaf in leaves], q), strict=True))
    return apply_leaf_values(metric, shape, grid, owner, leaf_values)


def grid_issues(metric: MetricDef, shape: PlanShape, grid: Mapping[tuple[OwnerRef, int], Decimal]) -> Issues:
    """Every broken invariant of a grid, each naming the owner and period."""
    out = Issues()
    q = metric.unit.quantum
    for o in shape.owners:
        for i, period in enumerate(shape.periods):
            v = grid.get((o, i))
            if v is None:
                out.error("grid.missing", f"{o} has no value for {period.label}", source=str(o), column=period.label)
                continue
            if v < 0:
                out.error(
                    "grid.negative",
                    f"{o} {period.label}: a target cannot be negative",
                    source=str(o),
                    column=period.label,
                    value=str(v),
                )
            elif metric.additive and not _on_quantum(v, q):
                out.error(
                    "grid.quantum",
                    f"{o} {period.label}: {metric.label_en} is set in steps of {q}",
                    source=str(o),
                    column=period.label,
                    value=str(v),
                )
    if not metric.additive or out.has_errors():
        return out
    for o in shape.owners:
        kids = shape.owner_children(o)
        for i, period in enumerate(shape.periods):
            if kids:
                total = sum((grid[(k, i)] for k in kids), ZERO)
                if total != grid[(o, i)]:
                    out.error(
                        "grid.children_sum",
                        f"{period.label}: the owners under {o} add up to {total}, not its {grid[(o, i)]}",
                        source=str(o),
                        column=period.label,
                    )
            periods = shape.period_children(i)
            if periods:
                total = sum((grid[(o, k)] for k in periods), ZERO)
                if total != grid[(o, i)]:
                    out.error(
                        "grid.periods_sum",
                        f"{o}: the periods in {period.label} add up to {total}, not its {grid[(o, i)]}",
                        source=str(o),
                        column=period.label,
                    )
    return out


def grid_from_leaves(shape: PlanShape, leaf_values: Mapping[tuple[OwnerRef, int], Decimal]) -> Grid:
    """The whole grid from the leaf owners' leaf cells (what an Excel import supplies):
    every other owner is the sum of its children, every coarser period the sum of its own."""
    grid: Grid = {}
    leaves = shape.leaves
    for o in reversed(shape.owners):
        kids = shape.owner_children(o)
        for leaf in leaves:
            grid[(o, leaf)] = sum((grid[(k, leaf)] for k in kids), ZERO) if kids else leaf_values[(o, leaf)]
    return _fill_totals(shape, grid)


def roll_up_tree(shape: PlanShape, values: Mapping[OwnerRef, Decimal]) -> dict[OwnerRef, Decimal]:
    """Bottom-up commitments rolled up the org tree: an owner's own entry when there is one,
    else the sum of what its children rolled up to (owners with nothing below stay out)."""
    out: dict[OwnerRef, Decimal] = {}
    for o in reversed(shape.owners):
        if o in values:
            out[o] = values[o]
            continue
        kids = [out[k] for k in shape.owner_children(o) if k in out]
        if kids:
            out[o] = sum(kids, ZERO)
    return out


def redistribute_leaves(
    metric: MetricDef, shape: PlanShape, grid: Grid, owner: OwnerRef, actuals: Mapping[int, Decimal], closed: int
) -> dict[int, Decimal]:
    """``propose_redistribution`` over an owner's leaf periods in calendar order: the first
    ``closed`` keep their targets, the rest absorb their shortfall or surplus."""
    if not metric.additive:
        raise ValueError(f"{metric.label_en} is a rate or average: it is re-set, not redistributed")
    leaves = shape.leaves
    targets = [grid[(owner, leaf)] for leaf in leaves]
    proposed = propose_redistribution(targets, [actuals.get(leaf) for leaf in leaves], closed, metric.unit.quantum)
    return dict(zip(leaves, proposed, strict=True))


def hold_closed_periods(shape: PlanShape, agreed: Grid, adjusted: Grid, closed_leaves: set[int]) -> Grid:
    """After a monthly review: every coarser period that holds a closed month keeps the
    target that was agreed (the year stays the year: what was done plus what is still asked
    equals it); periods wholly ahead become the sum of their new months. Org sums stay exact
    in every period, because every owner is treated alike."""
    out = dict(adjusted)
    for i in range(len(shape.periods)):
        if not shape.is_leaf_period(i) and closed_leaves & set(shape.leaves_under(i)):
            for o in shape.owners:
                out[(o, i)] = agreed[(o, i)]
    return out


# --- metric values, run-rates and the working-day calendar -------------------------------


def metric_value(metric: MetricDef, num: Decimal, den: Decimal) -> Decimal | None:
    """What a metric reads from its numerator and denominator, at the unit's quantum:
    additive metrics are the numerator, rates and averages num ÷ den (``None`` with no data)."""
    if metric.additive:
        value = num
    elif den:
        value = num / den
    else:
        return None
    if metric.unit is MetricUnit.RATIO:
        return value.quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return value.quantize(metric.unit.quantum if metric.unit is not MetricUnit.COUNT else ONE, ROUND_HALF_UP)


def run_rate(metric: MetricDef, num: Decimal, den: Decimal, trailing_days: int, period_days: int) -> Decimal | None:
    """The owner's trailing actual scaled to a period's length (rates: the trailing rate)."""
    if trailing_days <= 0:
        return None
    if not metric.additive:
        return metric_value(metric, num, den)
    scaled = num * Decimal(period_days) / Decimal(trailing_days)
    return scaled.quantize(metric.unit.quantum, ROUND_HALF_UP)


def median(values: Sequence[Decimal]) -> Decimal | None:
    ordered = sorted(values)
    if not ordered:
        return None
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def working_day_calendar(overrides: Mapping[date, bool]) -> Callable[[date], bool]:
    """Monday–Friday are working days, except where the holiday calendar says otherwise:
    ``False`` for a public holiday, ``True`` for a make-up working weekend day (调休)."""

    def is_working_day(day: date) -> bool:
        flag = overrides.get(day)
        return flag if flag is not None else day.weekday() < 5

    return is_working_day


# --- the executable specification of the metric engine -----------------------------------


def _slot(day: date, grain: str) -> date:
    if grain == "week":
        return day - timedelta(days=day.weekday())
    return date(day.year, day.month, 1)


def _person_cells(
    metric_code: str, facts: FactSet, start: date, end: date, grain: str
) -> dict[tuple[int, date], list[Decimal]]:
    """Per person and period, one branch per metric: read it as the definition table."""
    cells: dict[tuple[int, date], list[Decimal]] = {}

    def add(person: int | None, day: date, num: Decimal, den: Decimal = ONE) -> None:
        if person is None:
            return
        cell = cells.setdefault((person, _slot(day, grain)), [ZERO, ZERO])
        cell[0] += num
        cell[1] += den

    def inside(day: date | None) -> bool:
        return day is not None and start <= day < end

    owner_of_account = {a.id: a.owner_id for a in facts.accounts}
    active = [o for o in facts.orders if o.status == "active" and not o.deleted]
    if metric_code in ("won_revenue", "average_order_value"):
        for o in active:
            if inside(o.signed_on):
                add(o.owner_id, o.signed_on, o.net_amount)
    elif metric_code == "orders":
        for o in active:
            if inside(o.signed_on):
                add(o.owner_id, o.signed_on, ONE)
    elif metric_code == "collected_revenue":
        orders = {o.id: o for o in facts.orders}
        for p in facts.payments:
            if not p.deleted and inside(p.received_on) and p.order_id in orders:
                add(orders[p.order_id].owner_id, p.received_on, p.amount)
    elif metric_code == "new_customers":
        first: dict[int, OrderFact] = {}
        for o in sorted(active, key=lambda o: (o.signed_on, o.id)):
            first.setdefault(o.account_id, o)
        for o in first.values():
            if inside(o.signed_on):
                add(o.owner_id, o.signed_on, ONE)
    elif metric_code in ("visits", "activities"):
        for a in facts.activities:
            if inside(a.occurred_on) and (metric_code == "activities" or a.kind == "visit"):
                add(a.person_id, a.occurred_on, ONE)
    elif metric_code == "lead_conversion_rate":
        for ld in facts.leads:
            if inside(ld.received_on) and ld.owner_id is not None:
                add(ld.owner_id, ld.received_on, ONE if ld.status in ("qualified", "converted") else ZERO)
    elif metric_code in ("win_rate", "sales_cycle_days"):
        for op in facts.opportunities:
            if op.deleted or not inside(op.closed_on) or op.status not in ("won", "lost"):
                continue
            assert op.closed_on is not None
            if metric_code == "win_rate":
                add(op.owner_id, op.closed_on, ONE if op.status == "won" else ZERO)
            elif op.status == "won":
                add(op.owner_id, op.closed_on, Decimal((op.closed_on - op.created_on).days))
    elif metric_code == "renewal_rate":
        for r in facts.renewals:
            if not r.deleted and inside(r.due_on) and r.status in ("renewed", "churned"):
                add(owner_of_account.get(r.account_id), r.due_on, ONE if r.status == "renewed" else ZERO)
    elif metric_code in ("satisfaction", "complaint_rate"):
        for f in facts.feedback:
            if not inside(f.received_on):
                continue
            if metric_code == "satisfaction":
                if f.satisfaction is not None:
                    add(owner_of_account.get(f.account_id), f.received_on, Decimal(f.satisfaction))
            else:
                add(owner_of_account.get(f.account_id), f.received_on, ONE if f.is_complaint else ZERO)
    else:
        raise ValueError(f"metric {metric_code!r} has no reference definition")
    return cells


def reference_metric_cells(
    metric_code: str,
    facts: FactSet,
    start: date,
    end: date,
    closure: Sequence[tuple[int, str]],
    grain: str = "month",
) -> dict[tuple[str, date], tuple[Decimal, Decimal]]:
    """Numerator and denominator per owner and period, the slow obvious way: what
    ``batch.metric_cells`` must return for the same facts (its contract test)."""
    per_person = _person_cells(metric_code, facts, start, end, grain)
    owners: dict[int, list[str]] = {}
    for person, owner in closure:
        owners.setdefault(person, []).append(owner)
    out: dict[tuple[str, date], list[Decimal]] = {}
    for (person, period), (num, den) in per_person.items():
        for owner in owners.get(person, []):
            cell = out.setdefault((owner, period), [ZERO, ZERO])
            cell[0] += num
            cell[1] += den
    return {k: (v[0], v[1]) for k, v in out.items()}
