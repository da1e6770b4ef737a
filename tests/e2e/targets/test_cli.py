"""``chanli targets …`` and ``chanli bench targets`` as an operator runs them (SQLite store)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from chanli.bootstrap import build
from chanli.cli import app
from chanli.cli.common import reset
from chanli.core.config import Settings
from chanli.schema import upgrade
from tests.factories import Org

runner = CliRunner()


@pytest.fixture
def org_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Org]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CHANLI_DATABASE_URL", url)
    container = build(Settings(database_url=url))
    upgrade(container.engine)
    with container.uow() as uow:
        org = Org(uow)
        uow.commit()
    container.engine.dispose()
    reset()
    yield org
    reset()


def run(*args: str) -> tuple[int, str]:
    reset()
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_decompose_prints_the_grid_saves_it_and_progress_paces_against_it(org_db: Org) -> None:
    code, out = run(
        "targets",
        "decompose",
        "--metric",
        "won_revenue",
        "--year",
        "2027",
        "--value",
        "10000000",
        "--by",
        "seasonal,capacity",
        "--json",
    )
    assert code == 0, out
    grid = json.loads(out)
    assert (grid["plan_id"], grid["period_method"], grid["owner_method"]) == (None, "seasonal", "capacity")
    totals = {r["name"]: r["values"]["2027"] for r in grid["rows"]}
    assert (totals["产力科技"], totals["华东大区"], totals["华北大区"]) == ("10000000.00", "7500000.04", "2499999.96")
    assert [n["code"] for n in grid["notes"]] == ["decompose.thin_history"]  # one month of history: equal split

    code, out = run(
        "targets",
        "decompose",
        "--metric",
        "won_revenue",
        "--period",
        "2026-Q4",
        "--value",
        "600000",
        "--grains",
        "month",
        "--save",
    )
    assert code == 0 and "plan 1 (draft)" in out
    assert run("targets", "approve", "1")[0] == 0
    code, out = run("targets", "activate", "1", "--json")
    assert json.loads(out) == {"id": 1, "status": "active", "version": 3}
    code, out = run(
        "targets",
        "progress",
        "--period",
        "2026-10",
        "--owner",
        f"person:{org_db.sh1}",
        "--as-of",
        "2026-10-20",
        "--json",
    )
    [row] = json.loads(out)
    assert (row["target"], row["actual"], row["status"]) == ("25000.00", "120000.00", "ahead")
    code, out = run("targets", "progress", "--period", "2026-10", "--as-of", "2026-10-20")
    assert code == 0 and "张三" in out and "ahead" in out


def test_bad_input_exits_with_2_and_says_what_to_do(org_db: Org) -> None:
    code, out = run(
        "targets", "decompose", "--metric", "won_revenue", "--year", "2027", "--value", "1", "--by", "seasonal,weird"
    )
    assert code == 2 and "cannot use 'weird'" in out
    code, out = run("targets", "decompose", "--metric", "nope", "--year", "2027", "--value", "1")
    assert code == 2 and "unknown metric" in out
    assert run("targets", "approve", "99")[0] == 2


def test_the_planning_grid_round_trips_through_excel_and_a_bad_cell_changes_nothing(
    org_db: Org, tmp_path: Path
) -> None:
    assert (
        run(
            "targets",
            "decompose",
            "--metric",
            "new_customers",
            "--period",
            "2027-Q1",
            "--value",
            "120",
            "--grains",
            "month",
            "--save",
        )[0]
        == 0
    )
    path = tmp_path / "plan.xlsx"
    assert run("targets", "export", "1", "--out", str(path))[0] == 0
    wb = load_workbook(path)
    ws = wb.worksheets[0]
    rows = {ws.cell(row=r, column=1).value: r for r in range(5, ws.max_row + 1)}
    zhang, li = rows[f"person:{org_db.sh1}"], rows[f"person:{org_db.sh2}"]
    ws.cell(row=zhang, column=4).value = "八"
    wb.save(path)
    code, out = run("targets", "import", "1", str(path), "--json")
    assert code == 2
    report = json.loads(out)
    assert report["applied"] is False
    assert [(i["row"], i["column"], i["value"]) for i in report["issues"]] == [(zhang, "D (2027-01)", "八")]
    ws.cell(row=zhang, column=4).value = 8
    ws.cell(row=li, column=4).value = 2
    wb.save(path)
    code, out = run("targets", "import", "1", str(path))
    assert code == 0 and "imported" in out
    code, out = run("targets", "plans", "--json")
    assert [(p["id"], p["value"], p["version"]) for p in json.loads(out)] == [(1, "120", 2)]


def test_bench_targets_times_progress_against_a_bare_group_by(org_db: Org, tmp_path: Path) -> None:
    code, out = run("bench", "targets", "--reps", "40", "--lines", "5000", "--json")
    assert code == 0, out
    result = json.loads(out)
    assert result["engine"] == "duckdb" and result["people"] > 40
    assert result["seconds"] > 0 and result["floor_s"] > 0
    assert result["ratio"] == pytest.approx(result["seconds"] / result["floor_s"], rel=0.01)
    assert result["metrics"] == ["won_revenue", "orders", "new_customers", "average_order_value", "collected_revenue"]
    code, out = run("bench", "targets", "--engine", "store", "--json")
    assert code == 0, out
    store = json.loads(out)
    assert (store["engine"], store["people"], store["periods"][0]) == ("store", 6, "2026")
