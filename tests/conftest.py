"""Test infrastructure shared by every suite: where the public datasets are, the CI rule that
missing infrastructure is a failure rather than a skip, and the store fixtures."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("CHANLI_SHARED_DATA", ROOT.parent / "shared" / "data"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
pytest_plugins = ["tests.webhooks"]  # the ``hook`` fixture: a webhook receiver on localhost


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason`` on a user's machine; under CI=true missing infrastructure is a failure."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required, not skipped)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The folder of public datasets (../shared/data). Tests needing it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        skip_or_fail(f"public datasets not found at {SHARED_DATA} (set CHANLI_SHARED_DATA)")
    return SHARED_DATA


# --- stores ---------------------------------------------------------------------------------
# Each DB test gets a real, empty, migrated store: a copy of a migrated SQLite file, or a
# PostgreSQL database (created once per session by migration, truncated between tests).
# Separate connections and real commits, so tests see what users see.

PG_ADMIN_URL = os.environ.get("CHANLI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from chanli.core.config import Settings
    from chanli.core.db import make_engine
    from chanli.schema import upgrade

    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    engine = make_engine(Settings(database_url=f"sqlite:///{path}"))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, migrated, dropped at the end."""
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(text("SELECT 1"))
    except Exception as exc:
        admin.dispose()
        skip_or_fail(
            f"no PostgreSQL server answers at {make_url(PG_ADMIN_URL).render_as_string()}: {type(exc).__name__}"
        )
    name = f"chanli_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    from chanli.schema import upgrade

    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    try:
        yield url
    finally:
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def _truncate_all(engine: Engine) -> None:
    from chanli.core.db import Base

    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A container on an empty migrated store, once per backend (SQLite, PostgreSQL)."""
    from chanli.bootstrap import build
    from chanli.core.config import Settings

    if request.param == "sqlite":
        path = tmp_path / "chanli.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        url = request.getfixturevalue("pg_database")
    container = build(Settings(environment="test", database_url=url, secret_key="test-secret-" + "x" * 24))
    if request.param == "postgres":
        _truncate_all(container.engine)
    try:
        yield container
    finally:
        container.engine.dispose()


@pytest.fixture
def pg_store(pg_database: str):  # type: ignore[no-untyped-def]
    """Only PostgreSQL, for tests about what only it does (advisory locks, SKIP LOCKED)."""
    from chanli.bootstrap import build
    from chanli.core.config import Settings

    container = build(Settings(environment="test", database_url=pg_database, secret_key="test-secret-" + "x" * 24))
    _truncate_all(container.engine)
    yield container
    container.engine.dispose()


@pytest.fixture
def sqlite_store(tmp_path: Path, sqlite_template: Path):  # type: ignore[no-untyped-def]
    """Only SQLite, for tests about the embedded default itself."""
    from chanli.bootstrap import build
    from chanli.core.config import Settings

    path = tmp_path / "chanli.db"
    shutil.copy(sqlite_template, path)
    container = build(Settings(environment="test", database_url=f"sqlite:///{path}"))
    yield container
    container.engine.dispose()
