"""``chanli bench comp``: a commission run over benchmark-sized Parquet (``chanli.demo.scale``),
set-based, timed against the floor of one bare GROUP BY over the same lines on the same engine.

The facts, in the engine's shape (prepared once per data folder, not timed, like the targets
bench synthesises its targets): every order line is a credit fact — its order's owner, signing
day and status, its own product (``product_id``, named in ``comp/products.parquet``) and net
amount — so the engine and the floor read exactly the same rows (``comp/orders.parquet``).
Quotas are each rep's actual × a fixed pseudo-random factor of 0.80–1.30 (so attainment spreads
over the tiers); prior payouts are 3% of every cancelled line (so the clawback has work);
splits, payments, credit notes and rates are empty tables.

What is timed (``engine_s``, the second of two runs, as the floor is): ``batch.batch_amounts``
for the bench plan — crediting (kept orders, credit notes, currency, splits), per-person sums,
marginal tiers over quota, per-product rates, a team roll-up (the manager closure) and clawbacks
— executed to Python values. The floor (``floor_s``): ``SELECT owner_id, SUM(net_amount) FROM
orders WHERE signed_on in the period GROUP BY owner_id`` on the same file. A second reference,
``product_floor_s``: the same bare GROUP BY over (owner_id, product_id) — the one aggregation a
plan with per-product rates cannot avoid, since each product's commission is its own statement
line, rounded on its own. Its ratio to the floor shows how much of the engine's ratio is that
aggregation alone. Peak memory is ``ru_maxrss`` of this process (data generation runs in a child
process, so it is not counted).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from chanli.compensation.batch import TABLES, batch_amounts
from chanli.compensation.plans import parse_plan
from chanli.core.engine import connect_parquet
from chanli.core.periods import Grain, Period

__all__ = ["BENCH_PLAN", "BenchResult", "ensure_data", "prepare_facts", "run_bench"]

BENCH_PLAN: dict[str, Any] = {
    "plan": "bench",
    "version": 1,
    "effective_from": "2000-01-01",
    "components": [
        {
            "id": "over_quota",
            "kind": "tiered_commission",
            "quota": "won_revenue",
            "tiers": [
                {"lower": "100%", "upper": "110%", "rate": "3%"},
                {"lower": "110%", "upper": "120%", "rate": "5%"},
                {"lower": "120%", "rate": "8%"},
            ],
        },
        {
            "id": "products",
            "kind": "product_rates",
            "rates": [
                {"product": "智能外呼 AI坐席", "rate": "4%"},
                {"product": "数据中台 私有化部署", "rate": "3%"},
                {"product": "实施服务", "rate": "1%"},
            ],
            "default_rate": "2%",
        },
        {"id": "team", "kind": "revenue_rate", "rate": "0.2%", "crediting": {"basis": "booking", "scope": "team"}},
        {"id": "claw", "kind": "clawback"},
    ],
}
FACTS = TABLES  # the bench writes exactly the facts the engine reads


@dataclass(frozen=True, slots=True)
class BenchResult:
    engine: str
    reps: int
    lines: int
    period: str
    engine_s: float
    floor_s: float
    product_floor_s: float
    peak_rss_mib: float
    people_paid: int
    total: Decimal
    setup_s: float

    @property
    def ratio(self) -> float:
        return self.engine_s / self.floor_s if self.floor_s else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "engine_s": round(self.engine_s, 4),
            "floor_s": round(self.floor_s, 4),
            "ratio": round(self.ratio, 2),
            "product_floor_s": round(self.product_floor_s, 4),
            "product_floor_ratio": round(self.product_floor_s / self.floor_s, 2) if self.floor_s else None,
            "peak_rss_mib": round(self.peak_rss_mib, 1),
            "reps": self.reps,
            "lines": self.lines,
            "period": self.period,
            "people_paid": self.people_paid,
            "total": str(self.total),
            "setup_s": round(self.setup_s, 2),
        }


def ensure_data(folder: Path, reps: int, lines: int, today: date) -> Path:
    """The scale data set in ``folder`` (generated in a child process when missing), and the
    engine-shaped facts under ``folder/comp``."""
    if not (folder / "manifest.json").exists():
        code = (
            "import sys; from datetime import date; from pathlib import Path;"
            "from chanli.demo.scale import ScaleSpec, generate_scale;"
            "generate_scale(ScaleSpec(reps=int(sys.argv[1]), lines=int(sys.argv[2]),"
            " today=date.fromisoformat(sys.argv[3])), Path(sys.argv[4]))"
        )
        subprocess.run(
            [sys.executable, "-c", code, str(reps), str(lines), today.isoformat(), str(folder)],
            check=True,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
    comp = folder / "comp"
    if not all((comp / f"{name}.parquet").exists() for name in FACTS):  # also: a folder of an older layout
        prepare_facts(folder, comp)
    return comp


def _period(folder: Path) -> Period:
    con = duckdb.connect()
    try:
        lo, hi = con.execute(
            f"SELECT min(signed_on), max(signed_on) FROM read_parquet('{folder / 'order_lines.parquet'}')"
        ).fetchone()  # type: ignore[misc]
    finally:
        con.close()
    start = date(lo.year, lo.month, 1)
    end_month = date(hi.year + (hi.month == 12), hi.month % 12 + 1, 1)
    return Period(start, end_month, Grain.YEAR, f"{start:%Y-%m}…{hi:%Y-%m}")


def prepare_facts(folder: Path, out: Path) -> None:
    """Write the engine's fact tables for the bench (see the module docstring)."""
    out.mkdir(parents=True, exist_ok=True)
    src = {
        name: f"read_parquet('{folder / (name + '.parquet')}')"
        for name in ("people", "orders", "order_lines", "products")
    }
    con = duckdb.connect()
    con.execute("SET threads=2")
    try:
        con.execute(
            f"""COPY (
                SELECT l.id, o.owner_id, l.signed_on, l.net_amount, o.currency, o.status,
                       CAST(NULL AS DATE) AS status_on, l.product_id
                FROM {src["order_lines"]} l JOIN {src["orders"]} o ON o.id = l.order_id
            ) TO '{out / "orders.parquet"}' (FORMAT parquet)"""
        )
        con.execute(f"COPY (SELECT id, name FROM {src['products']}) TO '{out / 'products.parquet'}' (FORMAT parquet)")
        con.execute(
            f"""COPY (SELECT id, tier, team_id, manager_id, hire_date, CAST(NULL AS DATE) AS leave_date
                      FROM {src["people"]}) TO '{out / "people.parquet"}' (FORMAT parquet)"""
        )
        orders = f"read_parquet('{out / 'orders.parquet'}')"
        con.execute(
            f"""COPY (
                SELECT owner_id AS person_id, 'won_revenue' AS metric,
                       CAST(round(sum(net_amount) * (0.80 + (hash(owner_id) % 51) / 100.0), 2) AS DECIMAL(18,2))
                         AS amount
                FROM {orders} WHERE status = 'active' GROUP BY owner_id
            ) TO '{out / "quotas.parquet"}' (FORMAT parquet)"""
        )
        con.execute(
            f"""COPY (
                SELECT id AS order_id, owner_id AS person_id,
                       CAST(round(net_amount * 0.03, 2) AS DECIMAL(18,2)) AS paid,
                       CAST(0 AS DECIMAL(18,2)) AS clawed_back
                FROM {orders} WHERE status <> 'active'
            ) TO '{out / "prior_payouts.parquet"}' (FORMAT parquet)"""
        )
        empty = {
            "order_splits": "SELECT 0::BIGINT AS order_id, 0::BIGINT AS seq, 0::BIGINT AS person_id,"
            " 0::DECIMAL(18,6) AS share WHERE false",
            "payments": "SELECT 0::BIGINT AS id, 0::BIGINT AS order_id, 0::DECIMAL(18,2) AS amount,"
            " DATE '2000-01-01' AS received_on WHERE false",
            "credit_notes": "SELECT 0::BIGINT AS id, 0::BIGINT AS order_id, 0::DECIMAL(18,2) AS amount,"
            " DATE '2000-01-01' AS issued_on WHERE false",
            "exchange_rates": "SELECT 'USD' AS currency, 0::DECIMAL(18,6) AS rate WHERE false",
        }
        for name, sql in empty.items():
            con.execute(f"COPY ({sql}) TO '{out / (name + '.parquet')}' (FORMAT parquet)")
    finally:
        con.close()


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def run_bench(folder: Path, engine: str = "duckdb", *, reps: int, lines: int, today: date) -> BenchResult:
    """Generate (if needed), prepare, then time the engine and the floor on ``engine``."""
    t0 = time.perf_counter()
    comp = ensure_data(folder, reps, lines, today)
    period = _period(folder)
    plan = parse_plan(BENCH_PLAN)
    con = connect_parquet(comp, engine, list(FACTS))
    if engine == "duckdb":
        con.raw_sql("SET threads=2")
        con.raw_sql("SET memory_limit='3GB'")
        con.raw_sql("SET preserve_insertion_order=false")
    setup = time.perf_counter() - t0
    try:
        o = con.table("orders")
        signed = o.filter(o.signed_on >= period.start, o.signed_on < period.end)
        floor_expr = signed.group_by("owner_id").agg(total=signed.net_amount.sum())
        product_expr = signed.group_by("owner_id", "product_id").agg(total=signed.net_amount.sum())
        floor_expr.to_pyarrow()  # warm the file cache for all three
        t1 = time.perf_counter()
        floor_expr.to_pyarrow()
        floor_s = time.perf_counter() - t1
        t1 = time.perf_counter()
        product_expr.to_pyarrow()
        product_floor_s = time.perf_counter() - t1
        batch_amounts(con, plan, period)  # warmed like the floor: file cache, first-use imports
        t2 = time.perf_counter()
        amounts = batch_amounts(con, plan, period)
        engine_s = time.perf_counter() - t2
    finally:
        if engine == "duckdb":
            con.disconnect()
    total = sum(amounts.values(), Decimal("0.00"))
    paid = len({pid for pid, _ in amounts})
    return BenchResult(
        engine, reps, lines, period.label, engine_s, floor_s, product_floor_s, _peak_rss_mib(), paid, total, setup
    )
