"""The command line as an operator uses it: init, users, db — with JSON output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from typer.testing import CliRunner

from chanli.cli import app
from chanli.cli.common import reset
from chanli.schema import MIGRATIONS

runner = CliRunner()
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CHANLI_DATABASE_URL", url)
    reset()
    yield url
    reset()


def run(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    reset()
    return runner.invoke(app, list(args), env=env)


def test_init_creates_the_store_company_and_administrator_once(db: str) -> None:
    r = run("init", "--company", "示例公司", "--admin-password", "admin-pass-1", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["admin_created"] is True and out["revision"] == HEAD
    again = run("init", "--company", "示例公司", "--json")
    assert again.exit_code == 0 and json.loads(again.output)["admin_created"] is False
    users = json.loads(run("users", "list", "--json").output)
    assert [(u["username"], u["role"]) for u in users] == [("admin", "admin")]


def test_users_add_links_a_rep_to_a_person_or_says_what_to_do(db: str) -> None:
    assert run("init", "--admin-password", "admin-pass-1").exit_code == 0
    r = run("users", "add", "zhang", "--role", "rep", "--person", "张三", "--password", "zhang-pass-1")
    assert r.exit_code == 2
    assert "no person with external id or name '张三'" in r.output
    assert "chanli import people" in r.output
    r = run("users", "add", "fin", "--role", "finance", "--password", "fin-pass-12", "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["role"] == "finance"
    r = run("users", "add", "fin", "--role", "finance", "--password", "fin-pass-12")
    assert r.exit_code == 2 and "already exists" in r.output
    r = run("users", "add", "bad", "--role", "wizard", "--password", "x" * 10)
    assert r.exit_code == 2


def test_db_current_reports_an_empty_store_then_head_after_upgrade(db: str) -> None:
    before = json.loads(run("db", "current", "--json").output)
    assert before["current"] is None and before["up_to_date"] is False
    assert run("db", "upgrade").exit_code == 0
    after = json.loads(run("db", "current", "--json").output)
    assert after["up_to_date"] is True


def test_a_bad_database_url_is_bad_input_with_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANLI_DATABASE_URL", "mysql://nope")
    r = run("db", "current")
    assert r.exit_code == 2
    assert "unsupported database URL" in r.output


def test_the_store_can_be_chosen_per_command_with_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CHANLI_DATABASE_URL", raising=False)
    target = tmp_path / "other.db"
    r = run("--db", f"sqlite:///{target}", "db", "upgrade", "--json")
    assert r.exit_code == 0, r.output
    assert target.exists() and json.loads(r.output)["revision"] == HEAD


def test_version_and_help_need_no_store() -> None:
    r = run("--version")
    assert r.exit_code == 0 and r.output.startswith("chanli ")
    r = run("--help")
    assert r.exit_code == 0
    assert all(cmd in r.output for cmd in ("init", "serve", "db", "users"))
