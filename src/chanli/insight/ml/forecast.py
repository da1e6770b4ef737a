"""Won-revenue forecasts per owner and period (业绩预测), and a backtest that replays history.

Two methods, both pure functions over plain values:

- **pipeline-weighted** — the classic CRM forecast: every open opportunity's amount × the
  probability configured for its stage. Simple, and blind to timing and to business that
  enters the pipeline during the period.
- **history-based** — learned only from what had closed *before* the as-of date: each owner's
  win rate (shrunk toward the team rate when the owner has little history), the chance an
  open deal of its age closes within the period (Kaplan–Meier over engage→close durations,
  open deals counted as censored), the ratio of won value to list price, and a run-rate for
  deals that are engaged *and* won inside one period (seen in the previous period).

The backtest replays the Maven CRM file: for each quarter start it rebuilds the pipeline as of
that day (deals engaged before it and not yet closed), forecasts the quarter with each method
and compares with the close_value actually won in the quarter. Amounts are ``Decimal``
throughout; only rates and probabilities are floats.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from chanli.core.money import ZERO, D, quantize
from chanli.core.periods import FiscalCalendar, Grain, Period
from chanli.insight.ml.errors import InsightInputError, missing_column

__all__ = [
    "DEFAULT_STAGE_PROBABILITIES",
    "METHODS",
    "Backtest",
    "HistoryRates",
    "Opportunity",
    "QuarterResult",
    "backtest",
    "history_forecast",
    "learn_history",
    "open_as_of",
    "opportunities_from_rows",
    "pipeline_weighted_forecast",
    "won_in",
]

WON, LOST = "Won", "Lost"
# Salesforce's default ladder puts a developing deal ("Value Proposition") at 50% and a
# prospect at 10%; the Maven stages map onto those two rungs.
DEFAULT_STAGE_PROBABILITIES: Mapping[str, float] = {"Prospecting": 0.10, "Engaging": 0.50}
METHODS = ("pipeline_weighted", "history_based", "last_quarter")
OWNER_SHRINKAGE = 10.0  # pseudo-deals of team win rate added to each owner's record


@dataclass(frozen=True, slots=True)
class Opportunity:
    """A deal as the CRM knows it now. ``list_value`` is the product's list price: what an
    open deal is expected to be worth before it closes."""

    id: str
    owner: str
    stage: str
    engaged_on: date | None
    closed_on: date | None
    close_value: Decimal | None
    list_value: Decimal | None

    def is_open_on(self, day: date) -> bool:
        """In the pipeline on ``day``: engaged before it and not closed before it."""
        if self.engaged_on is None or self.engaged_on >= day:
            return False
        return self.closed_on is None or self.closed_on >= day


def _product_key(name: str) -> str:
    """Product names compared without spaces and case: the Maven pipeline spells ``GTXPro``
    where products.csv has ``GTX Pro``."""
    return "".join(name.split()).lower()


def _date_or_none(value: str, column: str, row: int) -> date | None:
    text = (value or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise InsightInputError(f"sales pipeline row {row}: {column} {value!r} is not a YYYY-MM-DD date") from None


def opportunities_from_rows(
    pipeline: Sequence[Mapping[str, str]], products: Sequence[Mapping[str, str]]
) -> list[Opportunity]:
    """Opportunities from the Maven ``sales_pipeline.csv`` and ``products.csv`` rows."""
    needed = ("opportunity_id", "sales_agent", "product", "deal_stage", "engage_date", "close_date", "close_value")
    if not pipeline:
        raise InsightInputError("the sales pipeline has no rows")
    for column in needed:
        if column not in pipeline[0]:
            raise missing_column("sales pipeline", column, list(pipeline[0].keys()))
    for column in ("product", "sales_price"):
        if products and column not in products[0]:
            raise missing_column("products", column, list(products[0].keys()))
    prices = {_product_key(p["product"]): D(p["sales_price"]) for p in products}
    unknown = sorted({r["product"] for r in pipeline if _product_key(r["product"]) not in prices})
    if unknown:
        raise InsightInputError(
            f"products without a sales_price: {', '.join(unknown)}; products found: "
            f"{', '.join(p['product'] for p in products)}"
        )
    result = []
    for number, row in enumerate(pipeline, start=1):
        value = (row["close_value"] or "").strip()
        result.append(
            Opportunity(
                id=row["opportunity_id"],
                owner=row["sales_agent"],
                stage=row["deal_stage"],
                engaged_on=_date_or_none(row["engage_date"], "engage_date", number),
                closed_on=_date_or_none(row["close_date"], "close_date", number),
                close_value=D(value) if value else None,
                list_value=prices[_product_key(row["product"])],
            )
        )
    return result


def open_as_of(opportunities: Iterable[Opportunity], day: date) -> list[Opportunity]:
    return [o for o in opportunities if o.is_open_on(day)]


def won_in(opportunities: Iterable[Opportunity], period: Period) -> dict[str, Decimal]:
    """Actual won close_value per owner with close_date inside ``period``."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for o in opportunities:
        if o.stage == WON and o.closed_on is not None and period.contains(o.closed_on) and o.close_value is not None:
            totals[o.owner] += o.close_value
    return {owner: quantize(v) for owner, v in totals.items()}


def pipeline_weighted_forecast(
    pipeline: Iterable[Opportunity],
    stage_of: Mapping[str, str],
    probabilities: Mapping[str, float] = DEFAULT_STAGE_PROBABILITIES,
) -> dict[str, Decimal]:
    """Σ expected amount × stage probability per owner. ``stage_of`` maps an opportunity id to
    its stage on the as-of date (a replay knows only "engaged", not the live stage)."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for o in pipeline:
        stage = stage_of.get(o.id, o.stage)
        if stage not in probabilities:
            configured = ", ".join(probabilities)
            raise InsightInputError(f"no probability for stage {stage!r}; stages configured: {configured}")
        totals[o.owner] += (o.list_value or ZERO) * Decimal(str(probabilities[stage]))
    return {owner: quantize(v) for owner, v in totals.items()}


@dataclass(frozen=True, slots=True)
class HistoryRates:
    """What the closed history before an as-of date teaches."""

    as_of: date
    team_win_rate: float
    owner_win_rate: Mapping[str, float]
    value_ratio: Decimal  # won close_value ÷ list price
    survival: tuple[tuple[int, float], ...]  # (days since engagement, share still open)
    new_business: Mapping[str, Decimal]  # per owner, won in the previous period by deals engaged in it
    closed_deals: int


def _survival(durations: Sequence[tuple[int, bool]]) -> tuple[tuple[int, float], ...]:
    """Kaplan–Meier curve of time-to-close; ``(days, closed?)`` with open deals censored."""
    by_day: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for days, closed in durations:
        by_day[days][0 if closed else 1] += 1
    at_risk = len(durations)
    share = 1.0
    curve = [(0, 1.0)]
    for days in sorted(by_day):
        closed, censored = by_day[days]
        if at_risk > 0 and closed:
            share *= 1.0 - closed / at_risk
            curve.append((days, share))
        at_risk -= closed + censored
    return tuple(curve)


def _still_open(curve: Sequence[tuple[int, float]], days: int) -> float:
    share = 1.0
    for point, value in curve:
        if point > days:
            break
        share = value
    return share


def learn_history(opportunities: Sequence[Opportunity], as_of: date, previous: Period | None = None) -> HistoryRates:
    """Rates from deals closed before ``as_of`` only: nothing from the future leaks in."""
    closed = [o for o in opportunities if o.closed_on is not None and o.closed_on < as_of and o.stage in (WON, LOST)]
    if not closed:
        raise InsightInputError(f"no deal closed before {as_of}: nothing to learn a history-based forecast from")
    won = [o for o in closed if o.stage == WON]
    team_rate = len(won) / len(closed)
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for o in closed:
        counts[o.owner][0] += o.stage == WON
        counts[o.owner][1] += 1
    owner_rate = {owner: (w + OWNER_SHRINKAGE * team_rate) / (n + OWNER_SHRINKAGE) for owner, (w, n) in counts.items()}
    listed = sum((o.list_value or ZERO for o in won), ZERO)
    value_ratio = (sum((o.close_value or ZERO for o in won), ZERO) / listed) if listed else Decimal(1)
    durations = [((o.closed_on - o.engaged_on).days, True) for o in closed if o.engaged_on and o.closed_on]
    durations += [((as_of - o.engaged_on).days, False) for o in open_as_of(opportunities, as_of) if o.engaged_on]
    new_business: dict[str, Decimal] = defaultdict(lambda: ZERO)
    if previous is not None:
        for o in won:
            if o.engaged_on and previous.contains(o.engaged_on) and o.closed_on and previous.contains(o.closed_on):
                new_business[o.owner] += o.close_value or ZERO
    survival = _survival(durations)
    return HistoryRates(as_of, team_rate, owner_rate, value_ratio, survival, dict(new_business), len(closed))


def history_forecast(pipeline: Iterable[Opportunity], rates: HistoryRates, period: Period) -> dict[str, Decimal]:
    """Per owner: Σ open value × value ratio × win rate × P(closes within the period | its age),
    plus the owner's in-period new-business run-rate."""
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    horizon = (period.end - rates.as_of).days
    for o in pipeline:
        if o.engaged_on is None:
            continue
        age = (rates.as_of - o.engaged_on).days
        now_open = _still_open(rates.survival, age)
        later_open = _still_open(rates.survival, age + horizon)
        closes = (now_open - later_open) / now_open if now_open > 0 else 0.0
        win = rates.owner_win_rate.get(o.owner, rates.team_win_rate)
        weight = Decimal(str(round(win * closes, 6)))
        totals[o.owner] += (o.list_value or ZERO) * rates.value_ratio * weight
    for owner, amount in rates.new_business.items():
        totals[owner] += amount
    return {owner: quantize(v) for owner, v in totals.items()}


@dataclass(frozen=True, slots=True)
class QuarterResult:
    period: str
    as_of: date
    open_deals: int
    actual: Decimal
    forecasts: Mapping[str, Decimal]
    errors: Mapping[str, float]  # absolute percentage error of the total, per method
    owners: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)  # method → owner → amount


@dataclass(frozen=True, slots=True)
class Backtest:
    quarters: tuple[QuarterResult, ...]
    mape: Mapping[str, float]
    owner_wape: Mapping[str, float]  # Σ|forecast − actual| ÷ Σ actual over owners and quarters
    skipped: tuple[str, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "methods": {m: {"mape": self.mape[m], "owner_wape": self.owner_wape[m]} for m in self.mape},
            "quarters": [
                {
                    "period": q.period,
                    "as_of": q.as_of.isoformat(),
                    "open_deals": q.open_deals,
                    "actual": str(q.actual),
                    "forecasts": {m: str(v) for m, v in q.forecasts.items()},
                    "ape": q.errors,
                }
                for q in self.quarters
            ],
            "skipped": list(self.skipped),
        }


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def quarters_between(first: date, last: date, calendar: FiscalCalendar | None = None) -> list[Period]:
    """Every quarter that starts after ``first`` and before ``last``."""
    calendar = calendar or FiscalCalendar()
    period = calendar.next(calendar.containing(first, Grain.QUARTER))
    result = []
    while period.start <= last:
        result.append(period)
        period = calendar.next(period)
    return result


def backtest(
    opportunities: Sequence[Opportunity],
    probabilities: Mapping[str, float] = DEFAULT_STAGE_PROBABILITIES,
    calendar: FiscalCalendar | None = None,
) -> Backtest:
    """Replay every quarter of the history; see the module docstring."""
    calendar = calendar or FiscalCalendar()
    engaged = [o.engaged_on for o in opportunities if o.engaged_on]
    closed = [o.closed_on for o in opportunities if o.closed_on]
    if not engaged or not closed:
        raise InsightInputError("the pipeline needs engage and close dates to replay")
    results: list[QuarterResult] = []
    skipped: list[str] = []
    abs_errors: dict[str, Decimal] = defaultdict(lambda: ZERO)
    actual_total = ZERO
    for period in quarters_between(min(engaged), max(closed), calendar):
        actual_by_owner = won_in(opportunities, period)
        actual = _sum(actual_by_owner.values())
        previous = calendar.previous(period)
        if actual == 0:
            skipped.append(f"{period.label}: nothing was won in the quarter")
            continue
        try:
            rates = learn_history(opportunities, period.start, previous)
        except InsightInputError as exc:
            skipped.append(f"{period.label}: {exc}")
            continue
        pipeline = open_as_of(opportunities, period.start)
        stage_of = {o.id: "Engaging" for o in pipeline}
        by_method = {
            "pipeline_weighted": pipeline_weighted_forecast(pipeline, stage_of, probabilities),
            "history_based": history_forecast(pipeline, rates, period),
            "last_quarter": won_in(opportunities, previous),
        }
        forecasts = {m: _sum(v.values()) for m, v in by_method.items()}
        errors = {m: round(float(abs(f - actual) / actual), 4) for m, f in forecasts.items()}
        for method, owners in by_method.items():
            for owner in set(owners) | set(actual_by_owner):
                abs_errors[method] += abs(owners.get(owner, ZERO) - actual_by_owner.get(owner, ZERO))
        actual_total += actual
        results.append(QuarterResult(period.label, period.start, len(pipeline), actual, forecasts, errors, by_method))
    if not results:
        raise InsightInputError("no quarter could be replayed: " + "; ".join(skipped))
    mape = {m: round(sum(q.errors[m] for q in results) / len(results), 4) for m in METHODS}
    owner_wape = {m: round(float(abs_errors[m] / actual_total), 4) for m in METHODS}
    return Backtest(tuple(results), mape, owner_wape, tuple(skipped))
