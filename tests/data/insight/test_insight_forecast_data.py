"""Forecast backtest replaying the Maven CRM pipeline quarter by quarter."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chanli.cli.models import app
from chanli.insight import run_forecast_backtest

pytestmark = [pytest.mark.data]


def test_backtest_replays_three_quarters_and_skips_the_first_without_history(shared_data: Path) -> None:
    result = run_forecast_backtest(shared_data / "crm_sales_opportunities")
    assert [q.period for q in result.quarters] == ["2017-Q2", "2017-Q3", "2017-Q4"]
    assert result.skipped == (
        "2017-Q1: no deal closed before 2017-01-01: nothing to learn a history-based forecast from",
    )
    for quarter in result.quarters:
        assert isinstance(quarter.actual, Decimal)
        assert all(isinstance(v, Decimal) for v in quarter.forecasts.values())


def test_history_based_forecast_beats_pipeline_weighting_on_the_replay(shared_data: Path) -> None:
    result = run_forecast_backtest(shared_data / "crm_sales_opportunities")
    assert result.mape["history_based"] < result.mape["pipeline_weighted"]
    assert result.mape["history_based"] <= 0.20
    assert result.owner_wape["history_based"] < result.owner_wape["pipeline_weighted"]


def test_backtest_json_lists_methods_with_mape_and_the_quarters(shared_data: Path) -> None:
    result = CliRunner().invoke(
        app, ["backtest", "forecast", "--data", str(shared_data / "crm_sales_opportunities"), "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload["methods"]) == {"pipeline_weighted", "history_based", "last_quarter"}
    assert all("mape" in m for m in payload["methods"].values())
    assert [q["period"] for q in payload["quarters"]] == ["2017-Q2", "2017-Q3", "2017-Q4"]
    assert payload["quarters"][0]["actual"] == "3086111.00"
