"""Large files stream: ten times the rows must not need anywhere near ten times the memory.

The traced Python heap peak of a whole import (validate + apply through the services) is
measured for N and 10×N generated rows; only the key ledger (16 bytes a row) may grow."""

from __future__ import annotations

import csv
import gc
import tracemalloc
from pathlib import Path
from typing import Any

from chanli.exchange import run_import_bench
from tests.integration.exchange.conftest import counts, run_import, write_rows

N = 400
BATCH = 100


def _leads(path: Path, first: int, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["线索编号", "公司名称", "负责人", "来源", "获取时间", "评分"])
        for i in range(first, first + n):
            received = f"2026-01-{i % 28 + 1:02d} 10:00"
            w.writerow([f"L{i:08d}", f"公司{i}", f"P{i % 20}", "官网", received, f"{i % 100}.5"])
    return path


def _peak(store: Any, path: Path) -> tuple[int, tuple[int, int, int]]:
    gc.collect()
    tracemalloc.start()
    try:
        report = run_import(store, "leads", path, batch_size=BATCH)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, counts(report)


def test_ten_times_the_rows_needs_far_less_than_ten_times_the_memory(sqlite_store: Any, tmp_path: Path) -> None:
    run_import(sqlite_store, "people", write_rows(tmp_path / "p.csv", [["工号", "姓名"],
                                                                       *[[f"P{i}", f"销售{i}"] for i in range(20)]]))
    small, small_counts = _peak(sqlite_store, _leads(tmp_path / "small.csv", 0, N))
    large, large_counts = _peak(sqlite_store, _leads(tmp_path / "large.csv", N, 10 * N))
    assert (small_counts, large_counts) == ((N, 0, 0), (10 * N, 0, 0))
    assert large < 2 * small, f"peak {small / 2**20:.2f} MiB for {N} rows, {large / 2**20:.2f} MiB for {10 * N}"


def test_the_bench_imports_and_reimports_and_reports_throughput_and_memory() -> None:
    result = run_import_bench(300)
    assert (result["rows"], result["created"], result["reimport_unchanged"], result["backend"]) == (
        300, 300, 300, "sqlite")
    assert result["create_rows_per_s"] > 0 and result["reimport_rows_per_s"] > 0
    assert 0 < result["peak_mib"] < result["rss_mib"]
