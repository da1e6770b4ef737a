"""``chanli routing …``, ``chanli approvals …`` and ``chanli bench routing`` as an operator runs
them (SQLite store)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chanli.bootstrap import build
from chanli.cli import app
from chanli.cli.common import reset
from chanli.core.config import Settings
from chanli.crm import model as crm
from chanli.org import service as org_service
from chanli.process import service as process_service
from chanli.schema import upgrade
from tests.factories import Org, create_lead

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Org, list[int], int]]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CHANLI_DATABASE_URL", url)
    container = build(Settings(database_url=url))
    upgrade(container.engine)
    with container.uow() as uow:
        org = Org(uow)
        org_service.upsert_territory(uow, code="EAST", name="华东", team_id=org.east, provinces=["上海"])
        leads = [create_lead(uow, province="上海", company_name=f"线索{i}") for i in range(3)]
        sh1 = org_service.principal_for_user(uow.session, _user(uow, "sh1"))
        out = process_service.create_order(uow, sh1, crm.OrderDraft(
            account_id=org.acc_sh1, owner_id=org.sh1, signed_on=datetime(2026, 11, 20, tzinfo=UTC).date(),
            lines=(crm.OrderLineDraft(Decimal(1), Decimal("400000.00"), Decimal("0.12")),)),
            now=datetime(2026, 11, 20, 2, tzinfo=UTC))
        uow.commit()
    container.engine.dispose()
    reset()
    yield org, leads, out.approval_ids[0]
    reset()


def _user(uow, username: str):  # type: ignore[no-untyped-def]
    from chanli.org import queries as org_queries

    return org_queries.user_by_username(uow.session, username)


def run(*args: str) -> tuple[int, str]:
    reset()
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_routing_assign_routes_every_new_lead_and_explains_it(db: tuple[Org, list[int], int]) -> None:
    org, _, _ = db
    code, out = run("routing", "assign", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["routed"] == 3
    assert data["by_outcome"] == {"assigned": 3}
    assert {a["person_id"] for a in data["assignments"]} == {org.sh1, org.sh2, org.hz1}
    assert all(a["explanation"].startswith("匹配区域 华东；负载最低") for a in data["assignments"])
    code, out = run("routing", "assign", "--json")
    assert json.loads(out)["routed"] == 0


def test_routing_simulate_previews_without_writing(db: tuple[Org, list[int], int]) -> None:
    code, out = run("routing", "simulate", "--from", "2026-10-01", "--to", "2026-11-01", "--json")
    assert code == 0, out
    assert json.loads(out)["leads"] == 3
    assert json.loads(run("routing", "assign", "--json")[1])["routed"] == 3  # nothing was taken by the preview
    assert run("routing", "simulate", "--from", "October")[0] == 2


def test_approvals_list_approve_and_refusals(db: tuple[Org, list[int], int]) -> None:
    _, _, approval_id = db
    code, out = run("approvals", "list", "--json")
    assert code == 0, out
    [row] = json.loads(out)
    assert (row["id"], row["kind"], row["level"], row["status"]) == (approval_id, "discount", "manager", "pending")
    code, out = run("approvals", "approve", str(approval_id), "--as", "north_mgr")
    assert code == 2
    assert f"approval {approval_id} does not exist" in out
    code, out = run("approvals", "approve", str(approval_id), "--as", "sh1")
    assert code == 1
    assert "role rep may not approvals.decide" in out
    code, out = run("approvals", "approve", str(approval_id), "--as", "east_mgr", "-m", "同意", "--json")
    assert code == 0, out
    assert json.loads(out)["status"] == "approved"
    code, out = run("approvals", "reject", str(approval_id), "-m", "晚了")
    assert code == 2
    assert "already approved" in out


def test_bench_routing_prints_the_json_figures() -> None:
    code, out = run("bench", "routing", "--leads", "2000", "--reps", "50", "--single", "10", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert {"leads", "seconds", "leads_per_s", "p50_ms", "p99_ms"} <= set(data)
    assert data["leads"] == 2000
    assert data["p50_ms"] <= data["p99_ms"]


