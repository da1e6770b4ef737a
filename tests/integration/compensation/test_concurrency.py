"""Two runs of the same (plan, period, version) at the same time on real PostgreSQL: exactly one
wins, the other is refused by the unique key, and nothing is written twice."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import func, select

from chanli.compensation import service
from chanli.compensation.tables import CompRun, CompStatement, CompStatementLine
from tests.integration.compensation.world import OCT, CompWorld

pytestmark = [pytest.mark.postgres, pytest.mark.parametrize("store", ["postgres"], indirect=True)]


def test_two_concurrent_runs_of_the_same_key_exactly_one_wins(world: CompWorld, monkeypatch):
    """Given two threads that both find no run for 2026-10, when the first has claimed the key
    and is still computing, then the second waits on the unique index and fails with
    RunConflict as soon as the first commits: one run, one set of statements."""
    real = service.load_inputs
    calls: list[str] = []

    def slow_first(*args: Any, **kwargs: Any) -> Any:
        calls.append(threading.current_thread().name)
        if len(calls) == 1:
            time.sleep(0.6)  # the first run holds its claimed key while the second arrives
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "load_inputs", slow_first)
    results: dict[str, Any] = {}
    start = threading.Barrier(2)

    def worker(name: str, delay: float) -> None:
        start.wait()
        time.sleep(delay)
        try:
            results[name] = world.run(OCT)
        except service.RunConflict as exc:
            results[name] = exc

    threads = [threading.Thread(target=worker, args=(n, d), name=n) for n, d in (("a", 0.0), ("b", 0.2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert isinstance(results["a"], service.RunOutcome)
    assert results["a"].created is True
    assert isinstance(results["b"], service.RunConflict)
    assert "was created at the same time" in str(results["b"])
    with world.store.read() as s:
        counts = [s.scalar(select(func.count(t.id))) for t in (CompRun, CompStatement)]
        lines = s.scalar(select(func.count(CompStatementLine.id)))
    assert counts == [1, 4]
    assert lines == 12
