"""Reproducibility (the same seed builds the same store) and ``chanli demo`` as an operator
uses it: refusal on a store with data, ``--reset``, JSON output, and the ``--scale`` path
into Parquet and the database."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from chanli.bootstrap import Container
from chanli.cli import app
from chanli.cli.common import reset
from chanli.crm import model as crm_model
from chanli.crm import service as crm_service
from chanli.crm.tables import (
    Account,
    Activity,
    CallRecord,
    Feedback,
    Lead,
    Opportunity,
    Order,
    OrderLine,
    Payment,
    Renewal,
    StageChange,
)
from chanli.demo import DEMO_ACTOR, DemoSpec, build_demo
from chanli.org.tables import Person, Team
from tests.integration.demo.conftest import TODAY, empty_store

runner = CliRunner()


def _fingerprint(s: Session) -> dict[str, Any]:
    """Row counts, money sums and names: what two builds of one seed must share."""
    out: dict[str, Any] = {}
    for table in (Team, Person, Account, Lead, Opportunity, StageChange, Activity, Order, OrderLine, Payment,
                  Renewal, Feedback, CallRecord):
        out[table.__tablename__] = s.scalar(select(func.count()).select_from(table))
    for name, column in (("orders", Order.net_amount), ("lines", OrderLine.net_amount),
                         ("payments", Payment.amount), ("renewals", Renewal.amount),
                         ("opportunities", Opportunity.amount)):
        out[f"sum {name}"] = sum(s.scalars(select(column)), Decimal(0))
    out["people"] = list(s.scalars(select(Person.name).order_by(Person.external_id)))
    out["accounts"] = list(s.scalars(select(Account.name).order_by(Account.external_id)))
    out["moves"] = [t.isoformat() for t in s.scalars(select(StageChange.changed_at).order_by(StageChange.id))]
    return out


def _build(store: Container, seed: int) -> dict[str, Any]:
    with store.uow(DEMO_ACTOR) as uow:
        build_demo(uow, DemoSpec(today=TODAY, seed=seed, months=1))
        uow.commit()
    with store.read() as s:
        return _fingerprint(s)


def test_the_same_seed_builds_the_same_store_and_another_seed_another(
    request: pytest.FixtureRequest, tmp_path: Path,
) -> None:
    stores = []
    for name in ("a", "b", "c"):
        (tmp_path / name).mkdir()
        stores.append(empty_store(request, "sqlite", tmp_path / name))
    try:
        first, second, other = _build(stores[0], 88), _build(stores[1], 88), _build(stores[2], 7)
    finally:
        for store in stores:
            store.engine.dispose()
    assert first == second
    assert first["orders"] > 30 and first["sum orders"] > 0
    assert other != first


@pytest.fixture
def sqlite_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("CHANLI_DATABASE_URL", url)
    return url


def _run(*args: str):  # type: ignore[no-untyped-def]
    reset()
    return runner.invoke(app, list(args))


def test_chanli_demo_builds_once_refuses_a_second_time_and_rebuilds_with_reset(sqlite_url: str) -> None:
    args = ("demo", "--today", "2026-01-01", "--months", "1", "--no-serve")
    first = _run(*args, "--json")
    assert first.exit_code == 0, first.output
    summary = json.loads(first.stdout)
    assert summary["url"] == "http://127.0.0.1:8000" and summary["password"] == "chanli-demo"
    assert summary["start"] == "2025-12-01" and summary["counts"]["users"] == 9
    assert [x["username"] for x in summary["logins"]][-2:] == ["rep_sh", "rep_bj"]

    again = _run(*args)
    assert again.exit_code == 2
    assert "already holds data" in again.output and "chanli demo --reset" in again.output

    rebuilt = _run(*args, "--reset", "--json")
    assert rebuilt.exit_code == 0, rebuilt.output
    assert json.loads(rebuilt.stdout)["counts"] == summary["counts"]
    table = _run(*args, "--reset", "--port", "8123")
    assert table.exit_code == 0, table.output
    assert "http://127.0.0.1:8123" in table.stdout and "mgr_east" in table.stdout


@pytest.mark.postgres
def test_reset_is_refused_on_postgresql_with_a_hint(pg_database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANLI_DATABASE_URL", pg_database)
    result = _run("demo", "--reset", "--no-serve")
    assert result.exit_code == 2
    assert "--reset only deletes SQLite files" in result.output and "dropdb/createdb" in result.output


def test_scale_to_db_loads_the_parquet_rows_with_their_ids_and_exact_sums(
    store: Container, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CHANLI_DATABASE_URL", store.settings.database_url)
    out = tmp_path / "bench"
    result = _run("demo", "--scale", "--reps", "12", "--lines", "3000", "--out", str(out), "--to-db",
                  "--today", "2026-01-01", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert report["loaded"] == manifest["rows"]
    assert manifest["rows"]["order_lines"] == 3000
    with store.read() as s:
        lines: dict[int, Decimal] = defaultdict(Decimal)
        for order_id, net in s.execute(select(OrderLine.order_id, OrderLine.net_amount)):
            lines[order_id] += net
        orders = dict(s.execute(select(Order.id, Order.net_amount)).all())
        paid = sum(s.scalars(select(Payment.amount)), Decimal(0))
        team_path = s.scalar(select(Team.path).where(Team.id == 3))
    assert lines == orders
    assert str(sum(orders.values(), Decimal(0))) == manifest["sums"]["orders.net_amount"]
    assert str(paid) == manifest["sums"]["payments.amount"]
    assert team_path == "/1/2/3/"
    with store.uow() as uow:  # the id sequences moved past the loaded rows
        new = crm_service.upsert_orders(uow, [crm_model.OrderDraft(
            account_id=1, owner_id=6, signed_on=date(2026, 1, 5), external_id="AFTER-LOAD",
            lines=(crm_model.OrderLineDraft(quantity=Decimal(1), list_price=Decimal("100.00")),))])
        uow.commit()
    assert new.ids == [manifest["rows"]["orders"] + 1]


def test_scale_needs_an_output_folder(sqlite_url: str) -> None:
    result = _run("demo", "--scale", "--lines", "10")
    assert result.exit_code == 2 and "--scale needs --out DIR" in result.output
