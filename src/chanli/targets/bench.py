"""``chanli bench targets``: progress for every owner × metric × period, set-based, timed
against the floor of one bare GROUP BY over the same facts on the same engine.

What is timed: ``batch.progress_tables`` for every metric whose fact tables exist (each
family of facts scanned once → person × month → org closure → month/quarter/year → join
targets → pacing status), executed to Arrow, plus counting the statuses. What is not: reading the org
into the closure and synthesising the targets (each owner's actual × a fixed pseudo-random
factor between 0.8 and 1.3, so the statuses come out mixed), which a real run would load
from the target tables.

The floor is ``SELECT owner_id, month, SUM(net_amount) FROM orders GROUP BY 1, 2`` — the
least any engine must do to look at the same facts once — so ``ratio`` says how much the
whole progress computation costs over touching the data at all.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pyarrow.compute as pc
from ibis.backends import BaseBackend

from chanli.core.engine import to_rows
from chanli.core.periods import FiscalCalendar, Grain, Period
from chanli.targets import batch
from chanli.targets.model import METRICS, PacingThresholds

__all__ = ["BENCH_METRICS", "BenchResult", "run_bench"]

# metrics computable from the benchmark data set's tables (orders, payments)
BENCH_METRICS = {
    "won_revenue": ("orders",),
    "orders": ("orders",),
    "new_customers": ("orders",),
    "average_order_value": ("orders",),
    "collected_revenue": ("orders", "payments"),
}


@dataclass(frozen=True, slots=True)
class BenchResult:
    engine: str
    seconds: float
    floor_s: float
    ratio: float
    owners: int
    people: int
    metrics: tuple[str, ...]
    periods: tuple[str, ...]
    cells: int
    statuses: dict[str, int]
    setup_s: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "seconds": round(self.seconds, 4),
            "floor_s": round(self.floor_s, 4),
            "ratio": round(self.ratio, 2),
            "owners": self.owners,
            "people": self.people,
            "metrics": list(self.metrics),
            "periods": list(self.periods),
            "cells": self.cells,
            "statuses": self.statuses,
            "setup_s": round(self.setup_s, 2),
        }


def _closure(con: BaseBackend) -> tuple[list[tuple[int, str]], int]:
    """person → themselves, every team on their team's path, the company."""
    teams = {r["id"]: r["path"] for r in to_rows(con.table("teams").select("id", "path"))}
    pairs: list[tuple[int, str]] = []
    people = to_rows(con.table("people").select("id", "team_id"))
    for p in people:
        pid = int(p["id"])
        pairs.append((pid, f"person:{pid}"))
        path = teams.get(p["team_id"]) or ""
        pairs.extend((pid, f"team:{int(t)}") for t in path.strip("/").split("/") if t)
        pairs.append((pid, "company"))
    return pairs, len(people)


def _periods(year: Period, as_of: date, cal: FiscalCalendar) -> tuple[pa.Table, list[str]]:
    labels, months, nums, dens = [], [], [], []
    cutoff = as_of + timedelta(days=1)
    level = [year, *cal.children(year, Grain.QUARTER), *cal.children(year, Grain.MONTH)]
    for p in level:
        done = min(max((cutoff - p.start).days, 0), p.days)
        for m in cal.children(p, Grain.MONTH) if p.grain is not Grain.MONTH else [p]:
            labels.append(p.label)
            months.append(m.start)
            nums.append(done)
            dens.append(p.days)
    table = pa.table({"label": labels, "month": pa.array(months, pa.date32()), "e_num": nums, "e_den": dens})
    return table, [p.label for p in level]


def _factor(owner: str, label: str) -> Decimal:
    """A fixed pseudo-random 0.80–1.30 per cell, so target ÷ actual varies like a real plan's."""
    return Decimal(80 + zlib.crc32(f"{owner}|{label}".encode()) % 51) / 100


def _targets(con: BaseBackend, code: str, year: Period, closure: Any, periods: pa.Table) -> pa.Table:
    m = METRICS[code]
    facts = batch.person_facts(con, code, year.start, year.end, "month")
    monthly = (
        facts.join(closure, facts.person_id == closure.person_id)
        .group_by(["owner", "period"])
        .agg(num=lambda t: t.num.sum(), den=lambda t: t.den.sum())
    )
    pt = ibis.memtable(periods)
    per_label = (
        monthly.join(pt, monthly.period == pt.month)
        .group_by(["owner", "label"])
        .agg(num=lambda t: t.num.sum(), den=lambda t: t.den.sum())
    )
    owners, labels, values = [], [], []
    for r in to_rows(per_label):
        num, den = Decimal(str(r["num"] or 0)), Decimal(str(r["den"] or 0))
        base = num if m.additive else (num / den if den else Decimal(0))
        owners.append(r["owner"])
        labels.append(r["label"])
        values.append((base * _factor(r["owner"], r["label"])).quantize(Decimal("0.01")))
    keys = {"owner": pa.array(owners, pa.string()), "label": pa.array(labels, pa.string())}
    if con.name == "sqlite":  # sqlite3 cannot bind Decimal; SQLite keeps NUMERIC as REAL anyway
        return pa.table({**keys, "target": pa.array([float(v) for v in values], pa.float64())})
    return pa.table({**keys, "target": pa.array(values, pa.decimal128(18, 2))})


def _timed(fn: Callable[[], Any], repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def run_bench(con: BaseBackend, *, engine: str, as_of: date | None = None, fiscal_start_month: int = 1) -> BenchResult:
    """Progress for all owners × metrics × periods of the newest fiscal year in the data."""
    started = time.perf_counter()
    tables = set(con.list_tables())
    metrics = tuple(code for code, need in BENCH_METRICS.items() if set(need) <= tables)
    if not metrics:
        raise ValueError("no orders table: nothing to measure")
    orders = con.table("orders")
    last = to_rows(orders.aggregate(last=orders.signed_on.max()))[0]["last"]
    last = last.date() if hasattr(last, "date") and not isinstance(last, date) else last
    if last is None:
        raise ValueError("the orders table is empty")
    as_of = as_of or last
    cal = FiscalCalendar(fiscal_start_month)
    year = cal.containing(as_of, Grain.YEAR)
    pairs, people = _closure(con)
    closure = batch.closure_table(pairs)
    periods, labels = _periods(year, as_of, cal)
    targets = {code: _targets(con, code, year, closure, periods) for code in metrics}
    setup = time.perf_counter() - started

    def floor() -> None:
        o = con.table("orders")
        o.group_by([o.owner_id, o.signed_on.truncate("M").name("month")]).agg(total=o.net_amount.sum()).to_pyarrow()

    statuses: Counter[str] = Counter()
    cells = 0

    def progress() -> None:
        nonlocal cells
        statuses.clear()
        cells = 0
        pt = ibis.memtable(periods)
        exprs = batch.progress_tables(
            con,
            [METRICS[c] for c in metrics],
            year.start,
            year.end,
            closure,
            {c: ibis.memtable(targets[c]) for c in metrics},
            pt,
            PacingThresholds(),
        )
        for code in metrics:
            result = exprs[code].to_pyarrow()
            cells += result.num_rows
            for row in pc.value_counts(result["status"]).to_pylist():
                statuses[row["values"]] += row["counts"]

    floor()  # warm both paths (file metadata, caches) before measuring
    floor_s = _timed(floor, repeat=3)
    seconds = _timed(progress)
    owners = len({o for _, o in pairs})
    return BenchResult(
        engine,
        seconds,
        floor_s,
        seconds / floor_s if floor_s else float("inf"),
        owners,
        people,
        metrics,
        tuple(labels),
        cells,
        dict(statuses),
        setup,
    )
