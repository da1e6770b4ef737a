"""The public Maven "CRM Sales Opportunities" dataset loads completely and exactly: the
counts and revenue figures computed here straight from its CSVs (with the ``csv`` module,
not the importer) are what the store answers through the capability queries."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from chanli.core.audit import entries
from chanli.crm import queries as crm_queries
from chanli.exchange import import_maven_crm
from chanli.org import queries as org_queries
from tests.integration.exchange.conftest import ADMIN

pytestmark = pytest.mark.data


def _read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _load(store: Any, folder: Path):  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        report = import_maven_crm(uow, folder)
        assert report.errors == []
        uow.commit()
    return report


def test_the_maven_dataset_loads_exactly_and_a_second_run_changes_nothing(store: Any, shared_data: Path) -> None:
    folder = shared_data / "crm_sales_opportunities"
    teams, accounts = _read(folder, "sales_teams.csv"), _read(folder, "accounts.csv")
    products, pipeline = _read(folder, "products.csv"), _read(folder, "sales_pipeline.csv")
    won = [r for r in pipeline if r["deal_stage"] == "Won"]
    won_total = sum((Decimal(r["close_value"]) for r in won), Decimal(0))
    won_by_agent = Counter(r["sales_agent"] for r in won)
    gtx_pro = sum(1 for r in pipeline if r["product"] in ("GTXPro", "GTX Pro"))

    report = _load(store, folder)
    assert {w.code for w in report.warnings} == {"maven.product_alias", "maven.sector_typo", "maven.no_account",
                                                 "maven.no_close", "maven.no_engage", "maven.idle_agents"}
    alias = next(w for w in report.warnings if w.code == "maven.product_alias")
    assert alias.message == "1,480 deals name product 'GTXPro', which products.csv spells 'GTX Pro'; read as 'GTX Pro'"

    with store.read() as s:
        people = org_queries.list_people(s, ADMIN, active=None, limit=1000)
        team_rows = org_queries.list_teams(s, ADMIN)
        account_rows = crm_queries.list_accounts(s, ADMIN, limit=1000)
        product_names = sorted(r["name"] for r in crm_queries.export_rows(s, "product"))
        opportunities = crm_queries.list_opportunities(s, ADMIN, limit=20_000)
        figures = crm_queries.dashboard(s, ADMIN, date(2016, 1, 1), date(2018, 1, 1), top=50)
        company = org_queries.company_profile(s)

    reps = [p for p in people if p.job_role == "rep"]
    managers = [p for p in people if p.job_role == "manager"]
    assert (len(reps), len(managers)) == (35, 6)
    assert sorted(p.name for p in reps) == sorted(r["sales_agent"] for r in teams)
    assert sorted(p.name for p in managers) == sorted({r["manager"] for r in teams})
    assert sorted(t.name for t in team_rows if t.kind == "region") == ["Central", "East", "West"]
    assert {t.name: t.manager_name for t in team_rows if t.kind == "team"} == {
        f"{m} team": m for m in {r["manager"] for r in teams}}
    assert {p.name: p.manager_name for p in reps} == {r["sales_agent"]: r["manager"] for r in teams}
    assert len(account_rows) == len(accounts) == 85
    assert product_names == sorted(r["product"] for r in products) and len(product_names) == 7
    assert len(opportunities) == len(pipeline) == 8800
    assert Counter(o.status for o in opportunities) == {"won": 4238, "lost": 2473, "open": 2089}
    assert Counter(o.stage for o in opportunities) == {"won": 4238, "lost": 2473, "discovery": 1589,
                                                       "prospecting": 500}
    assert sum(1 for o in opportunities if o.product == "GTX Pro") == gtx_pro
    assert figures.won_total == won_total == Decimal("10005534")
    assert {r.name: r.orders for r in figures.top_reps} == dict(won_by_agent)
    by_name = {p.name: p.id for p in reps}
    for agent in ("Darcel Schlecht", "Vicki Laflamme", "Anna Snelling", "Carl Lin"):
        with store.read() as s:
            owned = crm_queries.list_opportunities(s, ADMIN, owner_id=by_name[agent], status="won", limit=1000)
        assert len(owned) == won_by_agent[agent], agent
    assert won_by_agent["Carl Lin"] == 0
    assert company is not None and (company.name, company.currency) == (
        "CRM Sales Opportunities (Maven Analytics)", "USD")

    with store.read() as s:
        audited = len(entries(s, limit=100_000))
    again = _load(store, folder)
    assert [(c.entity, c.created, c.updated, c.unchanged) for c in again.entities] == [
        ("teams", 0, 0, 9), ("people", 0, 0, 41), ("products", 0, 0, 7), ("accounts", 0, 0, 85),
        ("opportunities", 0, 0, 8800), ("orders", 0, 0, 4238)]
    with store.read() as s:
        assert len(entries(s, limit=100_000)) == audited


def test_a_dataset_folder_with_a_missing_column_is_refused_before_anything_is_written(
    store: Any, shared_data: Path, tmp_path: Path
) -> None:
    source = shared_data / "crm_sales_opportunities"
    for name in ("sales_teams.csv", "accounts.csv", "sales_pipeline.csv"):
        (tmp_path / name).write_bytes((source / name).read_bytes())
    (tmp_path / "products.csv").write_text("product,series\nGTX Basic,GTX\n", encoding="utf-8")
    with store.uow() as uow:
        report = import_maven_crm(uow, tmp_path)
    assert [(i.source, i.code, i.message) for i in report.errors] == [
        ("products.csv", "column.missing", "products.csv lacks column(s) sales_price")]
    with store.read() as s:
        assert crm_queries.list_opportunities(s, ADMIN) == []
