"""Metric values on the public Maven "CRM Sales Opportunities" dataset, imported with the
foundation's importer (``chanli.exchange.import_maven_crm``), equal figures computed here
independently from the CSV files with the ``csv`` module — per agent, per manager's team,
per regional office and for the company, month by month.

On the embedded SQLite store only: the import takes ~20 s on PostgreSQL, and that the engine
gives the same figures there is what the contract test (tests/contract/targets) proves.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from chanli.targets import OwnerKind, OwnerRef, batch, connect_store, queries

pytestmark = pytest.mark.data

D = Decimal
START, END = date(2016, 10, 1), date(2018, 1, 1)


def _month(text: str) -> date:
    return date(int(text[:4]), int(text[5:7]), 1)


def _csv_figures(folder: Path) -> dict[str, dict[tuple[str, date], list[Decimal]]]:
    """num/den per (owner name, month) for four metrics, straight from the files."""
    with (folder / "sales_teams.csv").open(encoding="utf-8", newline="") as f:
        teams = {r["sales_agent"]: (f"{r['manager']} team", r["regional_office"]) for r in csv.DictReader(f)}
    out: dict[str, dict[tuple[str, date], list[Decimal]]] = defaultdict(lambda: defaultdict(lambda: [D(0), D(0)]))
    first_won: dict[str, str] = {}
    with (folder / "sales_pipeline.csv").open(encoding="utf-8", newline="") as f:
        deals = list(csv.DictReader(f))
    for r in deals:
        if r["deal_stage"] not in ("Won", "Lost"):
            continue
        month = _month(r["close_date"])
        team, region = teams[r["sales_agent"]]
        won = r["deal_stage"] == "Won"
        cycle = (date.fromisoformat(r["close_date"]) - date.fromisoformat(r["engage_date"])).days
        for owner in (r["sales_agent"], team, region, "company"):
            out["win_rate"][(owner, month)][0] += 1 if won else 0
            out["win_rate"][(owner, month)][1] += 1
            if won:
                out["won_revenue"][(owner, month)][0] += D(r["close_value"])
                out["won_revenue"][(owner, month)][1] += 1
                out["sales_cycle_days"][(owner, month)][0] += cycle
                out["sales_cycle_days"][(owner, month)][1] += 1
        if won and (r["account"] not in first_won or r["close_date"] < first_won[r["account"]]):
            first_won[r["account"]] = r["close_date"]
    for day in first_won.values():
        out["new_customers"][("company", _month(day))][0] += 1
        out["new_customers"][("company", _month(day))][1] += 1
    return out


def test_maven_metrics_match_the_csv_files_for_every_agent_team_office_and_month(sqlite_store, shared_data):  # type: ignore[no-untyped-def]
    store = sqlite_store
    from chanli.exchange import import_maven_crm

    folder = shared_data / "crm_sales_opportunities"
    with store.uow() as uow:
        report = import_maven_crm(uow, folder)
        assert report.ok, report.issues[:3]
        uow.commit()
    expected = _csv_figures(folder)
    with store.read() as s:
        org = queries.org_snapshot(s)
    names = {
        str(o): org.name(o)
        for o in [*(OwnerRef(OwnerKind.PERSON, p) for p in org.people), *(org.team_owner(t) for t in org.teams)]
    }
    names["company"] = "company"
    closure = batch.closure_table(org.closure_pairs())
    con = connect_store(store.settings.database_url)
    try:
        for code in ("won_revenue", "win_rate", "sales_cycle_days", "new_customers"):
            got = {
                (names[c.owner], c.period): [c.num.quantize(D("0.01")) if code == "won_revenue" else c.num, c.den]
                for c in batch.metric_cells(con, code, START, END, closure)
                if code != "new_customers" or c.owner == "company"
            }
            want = {
                k: [v[0].quantize(D("0.01")) if code == "won_revenue" else v[0], v[1]]
                for k, v in expected[code].items()
            }
            assert got == want, code
    finally:
        con.disconnect()
    # the figures people quote: 4,238 won deals worth $10,005,534 over the dataset
    company = {m: v for (o, m), v in expected["won_revenue"].items() if o == "company"}
    assert sum(v[1] for v in company.values()) == 4238
    assert sum(v[0] for v in company.values()) == D("10005534")
    assert company[date(2017, 6, 1)] == [D("1338466"), D(531)]
