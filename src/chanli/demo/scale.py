"""Benchmark-sized data sets: up to 10k reps and 10M order lines, streamed into Parquet.

Why a second generator beside the demo: the demo is a few thousand rows made through the
services, one rule at a time; benchmarks of the set-based engine (commission runs,
leaderboards, funnels on DuckDB, PostgreSQL or Spark) need millions. This module draws
them with numpy in chunks of ``ScaleSpec.chunk_lines`` lines, so memory stays bounded
whatever the size, and writes one Parquet file per table (row group per chunk).

Money stays exact without Decimal arithmetic per row: amounts are integer fen (int64),
a line's net is ``quantity × list price × (1 − discount)`` rounded half-up to the fen in
integer arithmetic — the same value as ``crm.model.line_net_amount`` — and an order's net is
the sum of its lines. Parquet stores money as ``decimal128(18,2)`` (``NUMERIC(18,2)`` in the
database), quantities as ``decimal128(14,3)``, discount rates as ``decimal128(12,6)`` and
days as ``date32``. ``manifest.json`` records row counts, the seed and exact column sums (as
strings) so a benchmark can check that it read everything.

``load_scale`` streams the files back into the OLTP store through the bulk service
functions of ``org`` and ``crm``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from chanli.core.db import UnitOfWork
from chanli.crm import service as crm_service
from chanli.demo import catalog as cat
from chanli.demo.model import DEFAULT_SEED, add_months
from chanli.org import service as org_service

__all__ = [
    "LINES_PER_ORDER",
    "SCHEMAS",
    "ScaleManifest",
    "ScaleSpec",
    "decimal_array",
    "generate_scale",
    "line_net_fen",
    "load_scale",
]

Progress = Callable[[str, int, int], None]
EPOCH = date(1970, 1, 1)
REPS_PER_TEAM = 8
TEAMS_PER_REGION = 8
LINES_PER_ORDER = {1: 0.35, 2: 0.30, 3: 0.20, 4: 0.10, 5: 0.05}  # mean 2.2
PRODUCT_MIX = {"crm-pro": 30, "crm-ent": 20, "ai-agent": 12, "data-hub": 2, "badge": 10, "panel": 6,
               "impl": 10, "training": 6, "support": 4}
TIER_MIX = {"elite": 0.25, "core": 0.40, "new": 0.35}
GRADE_MIX = {"A": 0.15, "B": 0.40, "C": 0.45}
CANCELLED_SHARE = 0.02
RENEWAL_SHARE = 0.15

MONEY = pa.decimal128(18, 2)
QUANTITY = pa.decimal128(14, 3)
RATE = pa.decimal128(12, 6)

SCHEMAS: dict[str, pa.Schema] = {
    "teams": pa.schema([("id", pa.int64()), ("parent_id", pa.int64()), ("name", pa.string()),
                        ("kind", pa.string()), ("path", pa.string())]),
    "people": pa.schema([("id", pa.int64()), ("team_id", pa.int64()), ("manager_id", pa.int64()),
                         ("tier", pa.string()), ("hire_date", pa.date32()), ("active", pa.bool_())]),
    "accounts": pa.schema([("id", pa.int64()), ("owner_id", pa.int64()), ("industry", pa.string()),
                           ("region", pa.string()), ("grade", pa.string())]),
    "products": pa.schema([("id", pa.int64()), ("name", pa.string()), ("list_price", MONEY)]),
    "orders": pa.schema([("id", pa.int64()), ("account_id", pa.int64()), ("owner_id", pa.int64()),
                         ("signed_on", pa.date32()), ("status", pa.string()), ("currency", pa.string()),
                         ("net_amount", MONEY), ("is_renewal", pa.bool_())]),
    "order_lines": pa.schema([("id", pa.int64()), ("order_id", pa.int64()), ("owner_id", pa.int64()),
                              ("product_id", pa.int64()), ("signed_on", pa.date32()), ("quantity", QUANTITY),
                              ("list_price", MONEY), ("discount_rate", RATE), ("net_amount", MONEY)]),
    "payments": pa.schema([("id", pa.int64()), ("order_id", pa.int64()), ("amount", MONEY),
                           ("received_on", pa.date32())]),
}


@dataclass(frozen=True, slots=True)
class ScaleSpec:
    """How big: ``reps`` sales reps and exactly ``lines`` order lines over ``months`` months
    of history ending the day before ``today`` (the generator never reads the clock)."""

    reps: int
    lines: int
    today: date
    seed: int = DEFAULT_SEED
    months: int = 12
    chunk_lines: int = 200_000

    def __post_init__(self) -> None:
        if self.reps < 1 or self.lines < 1:
            raise ValueError("reps and lines must be at least 1")
        if not 1 <= self.months <= 36:
            raise ValueError("months must be 1–36")
        if self.chunk_lines < 1000:
            raise ValueError("chunk_lines must be at least 1000")

    @property
    def start(self) -> date:
        return add_months(self.today, -self.months)

    @property
    def accounts(self) -> int:
        """About three orders per account, between 5 and 150 accounts per rep."""
        orders = self.lines / 2.2
        return int(min(max(orders / 3, self.reps * 5), self.reps * 150))


@dataclass(frozen=True, slots=True)
class ScaleManifest:
    """What was written: rows per table, exact sums (strings), and how to regenerate it."""

    seed: int
    reps: int
    lines: int
    months: int
    start: str
    today: str
    rows: dict[str, int]
    sums: dict[str, str]
    files: dict[str, str] = field(default_factory=dict)
    generator: str = "chanli.demo.scale/1"

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)


# --- exact integer money ------------------------------------------------------------------


def line_net_fen(quantity: np.ndarray, list_price_fen: np.ndarray, discount_bp: np.ndarray) -> np.ndarray:
    """Net fen of lines: ``quantity × price × (1 − bp/10000)`` rounded half-up, in int64.

    ``floor(x / 10000 + ½) = (2x + 10000) // 20000`` for x ≥ 0, so this equals
    ``crm.model.line_net_amount`` for discounts in whole basis points.
    """
    x = quantity.astype(np.int64) * list_price_fen.astype(np.int64) * (10000 - discount_bp.astype(np.int64))
    return (2 * x + 10000) // 20000


def decimal_array(unscaled: np.ndarray, type_: pa.Decimal128Type) -> pa.Array:
    """A decimal128 array from int64 unscaled values (fen for scale 2) without Python objects."""
    values = np.ascontiguousarray(unscaled, dtype=np.int64)
    words = np.empty((len(values), 2), dtype="<i8")  # little-endian 128-bit: low word, then sign
    words[:, 0] = values
    words[:, 1] = np.where(values < 0, -1, 0)
    return pa.Array.from_buffers(type_, len(values), [None, pa.py_buffer(words.tobytes())])


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32()).cast(pa.date32())


def _strings(choices: list[str], index: np.ndarray) -> pa.Array:
    return pc.take(pa.array(choices, type=pa.string()), pa.array(index.astype(np.int32)))


def _fen(amount: Decimal) -> int:
    return int(amount * 100)


def _money_text(fen: int, places: int = 2) -> str:
    return str(Decimal(fen).scaleb(-places))


# --- generation ---------------------------------------------------------------------------


class _Writers:
    """One Parquet writer per table, opened lazily, closed together."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.open: dict[str, pq.ParquetWriter] = {}
        self.rows: dict[str, int] = dict.fromkeys(SCHEMAS, 0)

    def write(self, name: str, columns: dict[str, pa.Array]) -> None:
        table = pa.Table.from_arrays(list(columns.values()), schema=SCHEMAS[name])
        if name not in self.open:
            self.open[name] = pq.ParquetWriter(self.out / f"{name}.parquet", SCHEMAS[name], compression="zstd")
        self.open[name].write_table(table, row_group_size=max(1, table.num_rows))
        self.rows[name] += table.num_rows

    def close(self) -> None:
        for writer in self.open.values():
            writer.close()
        for name in SCHEMAS:  # an empty table still gets its (empty) file
            if name not in self.open:
                pq.write_table(SCHEMAS[name].empty_table(), self.out / f"{name}.parquet")


def generate_scale(spec: ScaleSpec, out: Path, *, progress: Progress | None = None) -> ScaleManifest:
    """Write the benchmark data set for ``spec`` into ``out`` and return its manifest."""
    report = progress or (lambda _s, _d, _t: None)
    out.mkdir(parents=True, exist_ok=True)
    org_seed, account_seed, order_seed = np.random.SeedSequence(spec.seed).spawn(3)
    writers = _Writers(out)
    try:
        reps, rep_region = _org(spec, np.random.default_rng(org_seed), writers)
        report("org", 1, 1)
        owner_of = _accounts(spec, np.random.default_rng(account_seed), writers, reps, rep_region, report)
        sums = _orders(spec, np.random.default_rng(order_seed), writers, owner_of, report)
    finally:
        writers.close()
    manifest = ScaleManifest(
        seed=spec.seed, reps=spec.reps, lines=spec.lines, months=spec.months, start=spec.start.isoformat(),
        today=spec.today.isoformat(), rows=dict(writers.rows), sums=sums,
        files={name: f"{name}.parquet" for name in SCHEMAS},
    )
    (out / "manifest.json").write_text(manifest.to_json() + "\n", encoding="utf-8")
    return manifest


def _org(spec: ScaleSpec, rng: np.random.Generator, writers: _Writers) -> tuple[np.ndarray, np.ndarray]:
    """Company → regions → teams of eight reps; a director per region, a manager per team.
    Returns the reps' person ids and their region index."""
    n_teams = math.ceil(spec.reps / REPS_PER_TEAM)
    n_regions = math.ceil(n_teams / TEAMS_PER_REGION)
    region_ids = np.arange(2, 2 + n_regions)
    team_ids = np.arange(2 + n_regions, 2 + n_regions + n_teams)
    team_region = np.arange(n_teams) % n_regions
    names, kinds, parents, paths = [cat.COMPANY_NAME], ["company"], [None], ["/1/"]
    for r in range(n_regions):
        base = cat.REGIONS[r % len(cat.REGIONS)]
        names.append(base.name if r < len(cat.REGIONS) else f"{base.name}{r // len(cat.REGIONS) + 1}")
        kinds.append("region")
        parents.append(1)
        paths.append(f"/1/{region_ids[r]}/")
    per_city: dict[str, int] = {}
    for t in range(n_teams):
        region = cat.REGIONS[team_region[t] % len(cat.REGIONS)]
        cities = [c.name for c in cat.CITIES.values() if c.region_key == region.key]
        city = cities[(t // n_regions) % len(cities)]
        per_city[city] = per_city.get(city, 0) + 1
        names.append(f"{city}{per_city[city]}组")
        kinds.append("team")
        parents.append(int(region_ids[team_region[t]]))
        paths.append(f"/1/{region_ids[team_region[t]]}/{team_ids[t]}/")
    writers.write("teams", {
        "id": pa.array(np.arange(1, 2 + n_regions + n_teams)),
        "parent_id": pa.array(parents, type=pa.int64()),
        "name": pa.array(names), "kind": pa.array(kinds), "path": pa.array(paths),
    })

    first_person = 1
    director_ids = np.arange(first_person, first_person + n_regions)
    manager_ids = np.arange(director_ids[-1] + 1, director_ids[-1] + 1 + n_teams)
    rep_ids = np.arange(manager_ids[-1] + 1, manager_ids[-1] + 1 + spec.reps)
    rep_team = np.arange(spec.reps) % n_teams
    tiers = list(TIER_MIX)
    rep_tier = rng.choice(len(tiers), size=spec.reps, p=list(TIER_MIX.values()))
    start_day, today_day = (spec.start - EPOCH).days, (spec.today - EPOCH).days
    hire = np.where(rep_tier == tiers.index("new"), today_day - rng.integers(30, 361, spec.reps),
                    np.where(rep_tier == tiers.index("core"), start_day - rng.integers(60, 1100, spec.reps),
                             start_day - rng.integers(365, 2900, spec.reps)))
    leaders = n_regions + n_teams
    leader_hire = start_day - rng.integers(730, 3300, leaders)
    writers.write("people", {
        "id": pa.array(np.concatenate([director_ids, manager_ids, rep_ids])),
        "team_id": pa.array(np.concatenate([region_ids, team_ids, team_ids[rep_team]])),
        "manager_id": pa.array(
            [None] * n_regions + director_ids[team_region].tolist() + manager_ids[rep_team].tolist(),
            type=pa.int64()),
        "tier": _strings(tiers, np.concatenate([np.zeros(leaders, dtype=np.int64), rep_tier])),
        "hire_date": _dates(np.concatenate([leader_hire, hire])),
        "active": pa.array(np.concatenate([np.ones(leaders, dtype=bool), rng.random(spec.reps) >= 0.03])),
    })
    return rep_ids, team_region[rep_team]


def _accounts(spec: ScaleSpec, rng: np.random.Generator, writers: _Writers, reps: np.ndarray,
              rep_region: np.ndarray, report: Progress) -> np.ndarray:
    """Accounts owned by reps, in the owner's region. Returns owner id by account index."""
    n = spec.accounts
    owner_index = rng.integers(0, len(reps), n)
    industries = list(cat.INDUSTRIES)
    weights = np.array(list(cat.INDUSTRIES.values()), dtype=float)
    grades = list(GRADE_MIX)
    regions = [r.short for r in cat.REGIONS]
    products = list(cat.PRODUCTS)
    writers.write("products", {
        "id": pa.array(np.arange(1, len(products) + 1)),
        "name": pa.array([p.name for p in products]),
        "list_price": decimal_array(np.array([_fen(p.list_price) for p in products]), MONEY),
    })
    step = 500_000
    for lo in range(0, n, step):
        hi = min(n, lo + step)
        size = hi - lo
        writers.write("accounts", {
            "id": pa.array(np.arange(lo + 1, hi + 1)),
            "owner_id": pa.array(reps[owner_index[lo:hi]]),
            "industry": _strings(industries, rng.choice(len(industries), size=size, p=weights / weights.sum())),
            "region": _strings(regions, rep_region[owner_index[lo:hi]] % len(regions)),
            "grade": _strings(grades, rng.choice(len(grades), size=size, p=list(GRADE_MIX.values()))),
        })
        report("accounts", hi, n)
    return reps[owner_index]


def _month_days(spec: ScaleSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First day (epoch days), length in days and seasonal weight of each month of history."""
    firsts, lengths, weights = [], [], []
    day = spec.start
    while day < spec.today:
        nxt = add_months(day, 1)
        end = min(nxt, spec.today)
        firsts.append((day - EPOCH).days)
        lengths.append((end - day).days)
        weights.append(cat.SEASONALITY[day.month] * (end - day).days / (nxt - day).days)
        day = nxt
    w = np.array(weights)
    return np.array(firsts), np.array(lengths), w / w.sum()


def _orders(spec: ScaleSpec, rng: np.random.Generator, writers: _Writers, owner_of: np.ndarray,
            report: Progress) -> dict[str, str]:
    """Orders, their lines and payments, one chunk of lines at a time."""
    products = list(cat.PRODUCTS)
    mix = np.array([PRODUCT_MIX[p.key] for p in products], dtype=float)
    mix /= mix.sum()
    price = np.array([_fen(p.list_price) for p in products], dtype=np.int64)
    min_qty = np.array([p.min_qty for p in products])
    max_qty = np.array([p.max_qty for p in products])
    max_pct = np.array([p.max_discount_pct for p in products])
    sizes = np.array(list(LINES_PER_ORDER))
    size_p = np.array(list(LINES_PER_ORDER.values()))
    firsts, lengths, month_p = _month_days(spec)
    today_day = (spec.today - EPOCH).days
    order_id = line_id = payment_id = 1
    totals = {"order_net": 0, "active_net": 0, "line_net": 0, "quantity": 0, "paid": 0}
    done = 0
    for target in _chunk_sizes(spec.lines, spec.chunk_lines):
        counts = _split_lines(rng, target, sizes, size_p)
        n = len(counts)
        ids = np.arange(order_id, order_id + n)
        account = rng.integers(0, len(owner_of), n)
        owner = owner_of[account]
        month = rng.choice(len(firsts), size=n, p=month_p)
        signed = firsts[month] + (rng.random(n) * lengths[month]).astype(np.int64)
        cancelled = rng.random(n) < CANCELLED_SHARE
        renewal = rng.random(n) < RENEWAL_SHARE

        of_line = np.repeat(np.arange(n), counts)
        product = rng.choice(len(products), size=target, p=mix)
        span = max_qty[product] - min_qty[product] + 1  # skewed to small orders: most buy few seats
        quantity = min_qty[product] + (span * rng.random(target) ** 2).astype(np.int64)
        pct = np.where(rng.random(target) < 0.15, 0, rng.integers(0, max_pct[product] + 1))
        net = line_net_fen(quantity, price[product], pct * 100)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        order_net = np.add.reduceat(net, starts)

        writers.write("orders", {
            "id": pa.array(ids), "account_id": pa.array(account + 1), "owner_id": pa.array(owner),
            "signed_on": _dates(signed), "status": _strings(["active", "cancelled"], cancelled.astype(np.int64)),
            "currency": _strings(["CNY"], np.zeros(n, dtype=np.int64)),
            "net_amount": decimal_array(order_net, MONEY), "is_renewal": pa.array(renewal),
        })
        writers.write("order_lines", {
            "id": pa.array(np.arange(line_id, line_id + target)), "order_id": pa.array(ids[of_line]),
            "owner_id": pa.array(owner[of_line]), "product_id": pa.array(product + 1),
            "signed_on": _dates(signed[of_line]), "quantity": decimal_array(quantity * 1000, QUANTITY),
            "list_price": decimal_array(price[product], MONEY), "discount_rate": decimal_array(pct * 10000, RATE),
            "net_amount": decimal_array(net, MONEY),
        })
        pay_order, pay_amount, pay_day = _payments(rng, ids, order_net, signed, cancelled, today_day)
        writers.write("payments", {
            "id": pa.array(np.arange(payment_id, payment_id + len(pay_order))), "order_id": pa.array(pay_order),
            "amount": decimal_array(pay_amount, MONEY), "received_on": _dates(pay_day),
        })
        order_id += n
        line_id += target
        payment_id += len(pay_order)
        totals["order_net"] += int(order_net.sum())
        totals["active_net"] += int(order_net[~cancelled].sum())
        totals["line_net"] += int(net.sum())
        totals["quantity"] += int(quantity.sum())
        totals["paid"] += int(pay_amount.sum())
        done += target
        report("order lines", done, spec.lines)
    return {
        "orders.net_amount": _money_text(totals["order_net"]),
        "orders.net_amount[status=active]": _money_text(totals["active_net"]),
        "order_lines.net_amount": _money_text(totals["line_net"]),
        "order_lines.quantity": _money_text(totals["quantity"] * 1000, 3),
        "payments.amount": _money_text(totals["paid"]),
    }


def _chunk_sizes(total: int, chunk: int) -> Iterator[int]:
    while total > 0:
        size = min(chunk, total)
        yield size
        total -= size


def _split_lines(rng: np.random.Generator, target: int, sizes: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Lines per order for orders that together have exactly ``target`` lines."""
    estimate = int(target / float((sizes * p).sum()) * 1.1) + 10
    counts = rng.choice(sizes, size=estimate, p=p)
    while counts.sum() < target:
        counts = np.concatenate([counts, rng.choice(sizes, size=estimate, p=p)])
    total = np.cumsum(counts)
    n = int(np.searchsorted(total, target)) + 1
    counts = counts[:n].copy()
    counts[-1] -= int(total[n - 1]) - target
    return counts


def _payments(rng: np.random.Generator, ids: np.ndarray, net: np.ndarray, signed: np.ndarray,
              cancelled: np.ndarray, today_day: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Collections of active orders: 70% in full on time, 12% in full late, 10% in two
    instalments (the first takes the odd fen), 8% never; nothing on or after today."""
    n = len(ids)
    u = rng.random(n)
    on_time = (u < 0.70) & ~cancelled
    late = (u >= 0.70) & (u < 0.82) & ~cancelled
    split = (u >= 0.82) & (u < 0.92) & ~cancelled
    first = (net + 1) // 2
    day_on_time = signed + rng.integers(3, 29, n)
    day_late = signed + 30 + rng.integers(10, 121, n)
    day_first = signed + rng.integers(5, 26, n)
    day_second = signed + 30 + rng.integers(0, 91, n)
    order = np.concatenate([ids[on_time], ids[late], ids[split], ids[split]])
    amount = np.concatenate([net[on_time], net[late], first[split], (net - first)[split]])
    day = np.concatenate([day_on_time[on_time], day_late[late], day_first[split], day_second[split]])
    seq = np.concatenate([np.zeros(on_time.sum() + late.sum() + split.sum(), dtype=np.int64),
                          np.ones(split.sum(), dtype=np.int64)])
    keep = day < today_day
    order, amount, day, seq = order[keep], amount[keep], day[keep], seq[keep]
    sort = np.lexsort((seq, order))
    return order[sort], amount[sort], day[sort]


# --- loading into the store ---------------------------------------------------------------

_LOAD_ORDER = ("teams", "people", "products", "accounts", "orders", "order_lines", "payments")


def load_scale(uow: UnitOfWork, out: Path, *, progress: Progress | None = None,
               batch_rows: int = 100_000) -> dict[str, int]:
    """Stream a generated data set from ``out`` into the store through the bulk service
    functions (the caller commits). Ids are kept, so Parquet and database rows match."""
    report = progress or (lambda _s, _d, _t: None)
    loaded: dict[str, int] = {}
    people = pq.read_table(out / "people.parquet", columns=["manager_id"])
    managers = set(people["manager_id"].drop_null().to_pylist())
    for name in _LOAD_ORDER:
        file = pq.ParquetFile(out / f"{name}.parquet")
        total = file.metadata.num_rows
        done = 0
        for batch in file.iter_batches(batch_size=batch_rows):
            columns = _db_columns(name, {field: batch.column(field).to_pylist() for field in batch.schema.names},
                                  managers)
            if name in ("teams", "people"):
                done += org_service.bulk_insert(uow, name, columns)
            else:
                done += crm_service.bulk_insert(uow, name, columns)
            report(f"load {name}", done, total)
        loaded[name] = done
    return loaded


def _db_columns(name: str, columns: dict[str, list[Any]], managers: set[int]) -> dict[str, list[Any]]:
    """Parquet columns → the store's columns, adding what the Parquet leaves out (names,
    depth, job role: whoever has reports is a manager) and dropping its denormalised copies."""
    if name == "teams":
        return {**columns, "depth": [path.count("/") - 2 for path in columns["path"]]}
    if name == "people":
        return {**columns, "name": [f"销售{i:06d}" for i in columns["id"]],
                "job_role": ["manager" if i in managers else "rep" for i in columns["id"]]}
    if name == "accounts":
        return {**columns, "name": [f"客户{i:07d}" for i in columns["id"]],
                "lifecycle_status": ["active"] * len(columns["id"])}
    if name == "order_lines":
        return {k: v for k, v in columns.items() if k not in ("owner_id", "signed_on")}
    return columns
