"""The default demo, built once per backend for this folder's module, and store helpers.

Building the demo takes seconds (SQLite ~7 s, PostgreSQL ~12 s), so the tests that read it
share one build per backend (module scope) instead of one per test; each build starts from
an empty migrated store exactly like the suite's ``store`` fixture.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from chanli.bootstrap import Container, build
from chanli.core.config import Settings
from chanli.demo import DEMO_ACTOR, DemoSpec, DemoSummary, build_demo

TODAY = date(2026, 1, 1)


def truncate_all(engine: Engine) -> None:
    from chanli.core.db import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


def empty_store(request: pytest.FixtureRequest, backend: str, folder: Path) -> Container:
    """A container on an empty migrated store of ``backend`` (a fresh SQLite file, or the
    session's PostgreSQL database truncated)."""
    if backend == "sqlite":
        path = folder / "chanli.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
    container = build(Settings(environment="test", database_url=url, secret_key="test-secret-" + "x" * 24))
    if backend == "postgres":
        truncate_all(container.engine)
    return container


@dataclass(frozen=True)
class Built:
    store: Container
    summary: DemoSummary
    seconds: float
    backend: str


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The default 12-month demo (seed 88, today 2026-01-01), built through the services."""
    store = empty_store(request, request.param, tmp_path_factory.mktemp("demo"))
    started = time.perf_counter()
    with store.uow(DEMO_ACTOR) as uow:
        summary = build_demo(uow, DemoSpec(today=TODAY))
        uow.commit()
    try:
        yield Built(store, summary, time.perf_counter() - started, request.param)
    finally:
        store.engine.dispose()
