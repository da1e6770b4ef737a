"""``chanli import`` / ``chanli export`` as an operator uses them: exit codes 0/1/2, the
``--json`` report, ``--report`` CSV, ``--dry-run``, stdout and .xlsx exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from chanli.cli import app
from chanli.cli.common import reset
from tests.integration.exchange.conftest import write_rows

runner = CliRunner()

TEAMS = [["团队编号", "团队名称", "上级团队"], ["T1", "总部", ""], ["T2", "华东大区", "T1"]]


@pytest.fixture
def cli(sqlite_store: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv("CHANLI_DATABASE_URL", sqlite_store.settings.database_url)
    reset()
    yield sqlite_store
    reset()


def run(*args: str) -> Any:
    reset()
    return runner.invoke(app, list(args))


def test_an_import_prints_its_counts_and_a_second_run_changes_nothing(cli: Any, tmp_path: Path) -> None:
    teams = write_rows(tmp_path / "teams.csv", TEAMS)
    first = run("import", "teams", str(teams), "--json")
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["totals"]["created"] == 2
    again = run("import", "团队", str(teams))
    assert again.exit_code == 0
    assert "✓ imported 0 created, 0 updated, 2 unchanged" in again.output


def test_a_bad_file_exits_2_writes_the_issues_csv_and_commits_nothing(cli: Any, tmp_path: Path) -> None:
    bad = write_rows(tmp_path / "people.csv", [["工号", "姓名", "入职日期"], ["P1", "张三", "2026-13-01"],
                                               ["P2", "", "2026-01-01"]])
    report = tmp_path / "issues.csv"
    r = run("import", "people", str(bad), "--report", str(report))
    assert r.exit_code == 2
    assert "✗ 2 errors, 0 warnings; nothing was written" in r.output
    with report.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [(x["row"], x["column"], x["value"], x["code"]) for x in rows] == [
        ("2", "入职日期", "2026-13-01", "value.date"), ("3", "姓名", "", "value.required")]
    exported = run("export", "people")
    assert exported.exit_code == 0
    assert exported.output.strip().splitlines() == [
        "外部编号,姓名,邮箱,电话,团队,岗位,职级,入职日期,离职日期,直属上级,在职"]


def test_a_dry_run_validates_and_writes_nothing(cli: Any, tmp_path: Path) -> None:
    teams = write_rows(tmp_path / "teams.csv", TEAMS)
    r = run("import", "teams", str(teams), "--dry-run", "--json")
    assert r.exit_code == 0
    body = json.loads(r.output)
    assert (body["dry_run"], body["committed"], body["totals"]["new"]) == (True, False, 2)
    assert run("export", "teams").output.strip().count("\n") == 0


def test_unknown_entities_formats_and_missing_options_exit_2(cli: Any, tmp_path: Path) -> None:
    assert run("import", "widgets", "x.csv").exit_code == 2
    assert run("export", "widgets").exit_code == 2
    assert run("export", "people", "--format", "pdf").exit_code == 2
    r = run("export", "people", "--format", "xlsx")
    assert r.exit_code == 2
    assert "an .xlsx export needs --out FILE" in r.output


def test_an_export_to_stdout_and_to_xlsx_imports_back_unchanged(cli: Any, tmp_path: Path) -> None:
    run("import", "teams", str(write_rows(tmp_path / "teams.csv", TEAMS)))
    out = run("export", "teams", "--field-names")
    assert out.exit_code == 0
    assert list(csv.reader(io.StringIO(out.output))) == [
        ["external_id", "name", "kind", "parent", "region_code"], ["T1", "总部", "team", "", ""],
        ["T2", "华东大区", "team", "T1", ""]]
    xlsx = tmp_path / "teams.xlsx"
    assert run("export", "teams", "--out", str(xlsx)).exit_code == 0
    back = run("import", "teams", str(xlsx), "--json")
    assert json.loads(back.output)["totals"]["unchanged"] == 2


def test_a_store_without_its_schema_fails_with_exit_1_and_a_hint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CHANLI_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    r = run("import", "teams", str(write_rows(tmp_path / "teams.csv", TEAMS)))
    reset()
    assert r.exit_code == 1
    assert "chanli db upgrade" in r.output


@pytest.mark.data
def test_the_maven_recipe_dry_run_counts_every_file(cli: Any, shared_data: Path) -> None:
    r = run("import", "maven-crm", str(shared_data / "crm_sales_opportunities"), "--dry-run", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.output)
    assert [(e["entity"], e["records"]) for e in body["entities"]] == [
        ("teams", 9), ("people", 41), ("products", 7), ("accounts", 85), ("opportunities", 8800), ("orders", 4238)]
    assert body["errors"] == 0 and body["warnings"] == 6
