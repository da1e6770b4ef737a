"""``chanli bench import``: how fast an import runs and how little memory it needs.

Builds a throw-away SQLite store (or uses an empty one you name), seeds 50 people and 1,000
accounts, writes a CSV of ``rows`` opportunities that reference them, and imports it twice:
once into the empty store (the create path) and once more (the re-import path, which must
change nothing). Python heap peaks come from ``tracemalloc``, the process high-water mark
from ``getrusage``; the timed runs are not traced, because tracing slows allocation.
"""

from __future__ import annotations

import csv
import resource
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from chanli.core.config import Settings
from chanli.core.db import UnitOfWork, make_engine, make_session_factory
from chanli.exchange.importer import BATCH, import_file
from chanli.exchange.report import ImportReport

__all__ = ["generate_opportunities_csv", "run_import_bench"]

PEOPLE, ACCOUNTS = 50, 1000
STAGES = ("线索获取", "需求挖掘", "方案", "商务谈判", "赢单", "输单")


def generate_opportunities_csv(path: Path, rows: int, *, people: int = PEOPLE, accounts: int = ACCOUNTS) -> Path:
    """A CSV of ``rows`` opportunities with Chinese headers, written row by row."""
    start = date(2025, 1, 1)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["商机编号", "商机名称", "客户", "负责人", "阶段", "金额", "创建日期"])
        for i in range(1, rows + 1):
            w.writerow([f"OPP-{i:08d}", f"商机 {i}", f"ACC-{i % accounts + 1:05d}", f"P-{i % people + 1:03d}",
                        STAGES[i % len(STAGES)], f"{(i * 7919) % 1_000_000}.{i % 100:02d}",
                        (start + timedelta(days=i % 365)).isoformat()])
    return path


def _seed_files(folder: Path) -> tuple[Path, Path]:
    people = folder / "people.csv"
    with people.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["工号", "姓名", "职级"])
        for i in range(1, PEOPLE + 1):
            w.writerow([f"P-{i:03d}", f"销售{i:03d}", "骨干"])
    accounts = folder / "accounts.csv"
    with accounts.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["客户编号", "客户名称", "负责人"])
        for i in range(1, ACCOUNTS + 1):
            w.writerow([f"ACC-{i:05d}", f"客户{i:05d}", f"P-{i % PEOPLE + 1:03d}"])
    return people, accounts


def _import(factory: Callable[[], UnitOfWork], entity: str, path: Path, batch_size: int) -> ImportReport:
    with factory() as uow:
        report = import_file(uow, entity, path, batch_size=batch_size)
        if not report.ok:
            raise RuntimeError(f"bench import of {path.name} failed: {report.issues[:3]}")
        uow.commit()
    return report


def _fresh_store(folder: Path, database_url: str | None, tag: str) -> Engine:
    from chanli.schema import upgrade  # the schema helper lives beside the composition root

    engine = make_engine(Settings(database_url=database_url or f"sqlite:///{folder / f'bench-{tag}.db'}"))
    upgrade(engine)
    return engine


def run_import_bench(rows: int, *, database_url: str | None = None, batch_size: int = BATCH,
                     trace_memory: bool = True) -> dict[str, Any]:
    """Import ``rows`` generated opportunities and report rows/s and memory.

    Returns ``rows``, ``backend``, ``create_s``/``create_rows_per_s`` (first import into an
    empty store), ``reimport_s``/``reimport_rows_per_s`` (same file again: nothing changes),
    ``peak_mib`` (Python heap peak of a traced create import into a second store),
    ``rss_mib`` (process high-water mark) and ``csv_mib`` (the file's size). With
    ``database_url`` the store must be empty and migrated-or-empty; it is used for the
    timed runs only. ``trace_memory=False`` skips the (slower) traced run.
    """
    with tempfile.TemporaryDirectory(prefix="chanli-bench-") as tmp:
        folder = Path(tmp)
        people, accounts = _seed_files(folder)
        data = generate_opportunities_csv(folder / "opportunities.csv", rows)
        out: dict[str, Any] = {"rows": rows, "csv_mib": round(data.stat().st_size / 2**20, 2)}

        def prepared(tag: str, url: str | None) -> tuple[Engine, Callable[[], UnitOfWork]]:
            engine = _fresh_store(folder, url, tag)
            sessions = make_session_factory(engine)

            def factory() -> UnitOfWork:
                return UnitOfWork(sessions)

            _import(factory, "people", people, batch_size)
            _import(factory, "accounts", accounts, batch_size)
            return engine, factory

        engine, factory = prepared("timed", database_url)
        out["backend"] = engine.dialect.name
        started = time.perf_counter()
        created = _import(factory, "opportunities", data, batch_size)
        out["create_s"] = round(time.perf_counter() - started, 2)
        started = time.perf_counter()
        again = _import(factory, "opportunities", data, batch_size)
        out["reimport_s"] = round(time.perf_counter() - started, 2)
        engine.dispose()
        out["created"] = created.totals().created
        out["reimport_unchanged"] = again.totals().unchanged
        out["create_rows_per_s"] = round(rows / max(out["create_s"], 1e-9))
        out["reimport_rows_per_s"] = round(rows / max(out["reimport_s"], 1e-9))

        if trace_memory:
            engine, factory = prepared("traced", None)
            tracemalloc.start()
            try:
                _import(factory, "opportunities", data, batch_size)
                out["peak_mib"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 1)
            finally:
                tracemalloc.stop()
                engine.dispose()
        scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
        out["rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20, 1)
    return out
