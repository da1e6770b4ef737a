"""``chanli comp …`` and ``chanli bench comp`` as an operator runs them (SQLite store)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chanli.bootstrap import build
from chanli.cli import app
from chanli.cli.common import reset
from chanli.compensation.sample import SAMPLE_PLAN
from chanli.core.config import Settings
from chanli.schema import upgrade
from tests.integration.compensation.world import CompWorld, build_world

runner = CliRunner()


@pytest.fixture
def cli_world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CompWorld]:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CHANLI_DATABASE_URL", url)
    container = build(Settings(database_url=url))
    upgrade(container.engine)
    world = build_world(container)
    reset()
    yield world
    container.engine.dispose()
    reset()


def run(*args: str) -> tuple[int, str]:
    reset()
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_a_bad_plan_file_is_refused_with_every_problem_at_its_key_path(cli_world: CompWorld, tmp_path: Path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(SAMPLE_PLAN.replace("kind: clawback", "kind: clawbak"), encoding="utf-8")
    code, out = run("comp", "plan", "validate", str(bad), "--json")
    assert code == 2
    issues = json.loads(out)["issues"]
    assert [i["column"] for i in issues] == ["components[5].kind"]
    good = tmp_path / "v2.yaml"
    good.write_text(SAMPLE_PLAN.replace("rate: 8%", "rate: 9%"), encoding="utf-8")
    code, out = run("comp", "plan", "save", str(good), "--publish", "--json")
    assert (code, json.loads(out)) == (
        0,
        {"plan": "sales-standard", "version": 2, "created": True, "status": "published"},
    )


def test_comp_run_prints_json_and_approval_needs_a_named_checker(cli_world: CompWorld):
    code, out = run("comp", "run", "--period", "2026-10", "--plan", "sales-standard", "--json")
    assert code == 0, out
    body = json.loads(out)
    assert (body["statements"], body["total"], body["changed"]) == (4, "50800.00", True)
    code, out = run("comp", "run", "--period", "2026-10", "--plan", "sales-standard", "--json")
    assert json.loads(out)["changed"] is False
    assert run("comp", "submit", str(body["run_id"]), "--as", "comp")[0] == 0
    code, out = run("comp", "approve", str(body["run_id"]))
    assert code == 2
    assert "an approval needs the approver's login" in out
    code, out = run("comp", "approve", str(body["run_id"]), "--as", "comp")
    assert code == 2
    assert "may not comp.approve" in out
    assert run("comp", "approve", str(body["run_id"]), "--as", "finance") == (0, f"run #{body['run_id']} is approved\n")


def test_bench_comp_prints_one_json_object_with_the_figures(tmp_path: Path):
    code, out = run("bench", "comp", "--reps", "20", "--lines", "3000", "--data", str(tmp_path / "bench"), "--json")
    assert code == 0, out
    figures = json.loads(out)
    wanted = {"engine_s", "floor_s", "ratio", "product_floor_s", "product_floor_ratio", "peak_rss_mib", "reps", "lines"}
    assert wanted <= set(figures)
    assert (figures["reps"], figures["lines"], figures["engine"]) == (20, 3000, "duckdb")
    assert figures["engine_s"] > 0
    assert figures["floor_s"] > 0
    # from the unrounded times: the printed ones keep four places of a few milliseconds here
    assert figures["product_floor_ratio"] == pytest.approx(figures["product_floor_s"] / figures["floor_s"], rel=0.1)
