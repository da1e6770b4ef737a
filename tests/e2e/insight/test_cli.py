"""``chanli insight …`` as an operator runs it (SQLite store with a year of renewals)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chanli.bootstrap import build
from chanli.cli import app
from chanli.cli.common import reset
from chanli.core.config import Settings
from tests.factories import Org
from tests.integration.insight.test_services import _history

runner = CliRunner()


@pytest.fixture
def history_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path) -> Iterator[Org]:
    import shutil

    path = tmp_path / "cli.db"
    shutil.copy(sqlite_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("CHANLI_DATABASE_URL", url)
    monkeypatch.setenv("CHANLI_MODEL_DIR", str(tmp_path / "models"))
    container = build(Settings(database_url=url))
    org, _, _ = _history(container)
    container.engine.dispose()
    reset()
    yield org
    reset()


def run(*args: str) -> tuple[int, str]:
    reset()
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_churn_is_trained_scored_and_listed_from_the_command_line(history_db: Org, tmp_path: Path) -> None:
    code, out = run("insight", "churn", "score", "--as-of", "2026-11-01")
    assert code == 2 and "chanli insight churn train" in out
    code, out = run("insight", "churn", "train", "--as-of", "2026-11-01", "--json")
    assert code == 0, out
    trained = json.loads(out)
    assert trained["version"] == 1 and (tmp_path / "models" / "churn" / "v1" / "MODEL_CARD.md").exists()
    code, out = run("insight", "churn", "score", "--as-of", "2026-11-01", "--json")
    assert code == 0 and json.loads(out)["raised"] != []
    code, out = run("insight", "churn", "warnings", "--json")
    [warning] = json.loads(out)["warnings"]
    assert warning["account_name"] == "投诉客户" and warning["status"] == "open"
    code, out = run("insight", "funnel", "--period", "2026", "--json")
    assert code == 0 and json.loads(out)["facet"] == "all"
    code, out = run("insight", "forecast", "--period", "2026-Q4", "--as-of", "2026-11-01", "--json")
    assert code == 0 and json.loads(out)["period"] == "2026-Q4"


def test_an_import_with_a_bad_row_changes_nothing_and_says_where(history_db: Org, tmp_path: Path) -> None:
    bad = tmp_path / "markets.csv"
    bad.write_text("大区,行业,可触达客户数\n华东,制造,很多\n", encoding="utf-8")
    code, out = run("insight", "market", "import-markets", str(bad))
    assert code == 2
    assert "row 2, column addressable_accounts" in out
    good = tmp_path / "good.csv"
    good.write_text("大区,行业,可触达客户数\n华东,制造,40\n", encoding="utf-8")
    code, out = run("insight", "market", "import-markets", str(good))
    assert code == 0 and "已保存 1" in out
