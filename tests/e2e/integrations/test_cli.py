"""``chanli notifications``: a rep reads and marks their own inbox from the command line, never
someone else's; the back office sees the robot outbox with each message's state and reason."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chanli.bootstrap import Container, build
from chanli.cli import app
from chanli.cli.common import reset
from chanli.core.config import RobotConfig, Settings
from chanli.insight import ChurnRiskRaised
from chanli.schema import upgrade
from tests.factories import Org

runner = CliRunner()


@pytest.fixture
def cli_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Container, Org]]:
    """A migrated SQLite store the CLI opens (no robots in its environment), and a container on it
    that has one robot configured, so changes made through it queue robot messages."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CHANLI_DATABASE_URL", url)
    monkeypatch.delenv("CHANLI_ROBOTS", raising=False)
    robot = RobotConfig(kind="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=gone")
    container = build(Settings(database_url=url, robots=[robot]))
    upgrade(container.engine)
    with container.uow() as uow:
        org = Org(uow)
        uow.commit()
    reset()
    yield container, org
    container.engine.dispose()
    reset()


def run(*args: str) -> tuple[int, str]:
    reset()
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def _warn(container: Container, org: Org, *names: str) -> None:
    with container.uow() as uow:
        for i, name in enumerate(names):
            uow.queue(ChurnRiskRaised(i + 1, org.acc_sh1, name, org.sh1, 0.81, (), None))
        uow.commit()


def test_a_rep_reads_and_marks_their_own_inbox_only(cli_store: tuple[Container, Org]) -> None:
    container, org = cli_store
    _warn(container, org, "上海客户甲", "上海客户丙")
    code, out = run("notifications", "list", "--as", "sh1", "--unread", "--json")
    assert code == 0, out
    items = json.loads(out)
    assert [i["kind"] for i in items] == ["churn_risk", "churn_risk"]
    assert "上海客户丙" in items[0]["text"] and "上海客户甲" in items[1]["text"]  # newest first
    assert run("notifications", "read", str(items[0]["id"]), "--as", "bj1")[0] == 2  # not theirs
    assert run("notifications", "read", str(items[0]["id"]), "--as", "sh1") == (0, "1 marked read\n")
    assert len(json.loads(run("notifications", "list", "--as", "sh1", "--unread", "--json")[1])) == 1
    assert run("notifications", "read", "--all", "--as", "sh1") == (0, "1 marked read\n")
    assert json.loads(run("notifications", "list", "--as", "sh1", "--unread", "--json")[1]) == []
    assert run("notifications", "read", "--as", "sh1")[0] == 2  # neither an id nor --all


def test_the_outbox_shows_each_robot_message_state_and_why_it_was_given_up(cli_store: tuple[Container, Org]) -> None:
    container, org = cli_store
    _warn(container, org, "上海客户甲")
    code, out = run("notifications", "outbox", "--json")
    assert code == 0, out
    [waiting] = json.loads(out)
    assert (waiting["state"], waiting["attempts"], waiting["robot"][:9]) == ("waiting", 0, "dingtalk:")
    assert "上海客户甲" in waiting["text"] and "access_token" not in json.dumps(waiting)  # never the URL
    # the CLI's own environment configures no robot: the job gives the message up, with the reason
    assert run("jobs", "run", "integrations.robots", "--json")[0] == 0
    [failed] = json.loads(run("notifications", "outbox", "--state", "failed", "--json")[1])
    assert (failed["id"], failed["attempts"], failed["last_error"]) == (waiting["id"], 1, "robot no longer configured")
    assert json.loads(run("notifications", "outbox", "--state", "waiting", "--json")[1]) == []
    assert run("notifications", "outbox", "--state", "lost")[0] == 2
