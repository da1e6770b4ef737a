"""``chanli routing …`` and ``chanli bench routing``: assign new leads, preview a policy on past
leads, re-route leads past their first-contact SLA, show SLA statistics, and measure the
engine.

A thin shell over ``chanli.routing``; it acts as the administrator (every change is still
audited, as ``cli``).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from chanli.cli.common import EXIT_BAD_INPUT, console, container, err_console, fail, print_json
from chanli.core.auth import Principal, Role
from chanli.core.db import Actor, utcnow
from chanli.core.engine import connect_store
from chanli.routing import bench, queries, service

__all__ = ["app", "bench_app"]

app = typer.Typer(help="Lead routing (线索分配): assign, simulate, SLA.", no_args_is_help=True)
bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)

CLI_ACTOR = Actor(user_id=None, name="cli")
CLI_PRINCIPAL = Principal(user_id=0, username="cli", display_name="cli", role=Role.ADMIN)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _day(text: str | None, what: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"{what} must be a date like 2026-10-01, not {text!r}", EXIT_BAD_INPUT)


@app.command("assign")
def assign(
    lead: Annotated[list[int] | None, typer.Option("--lead", help="Route these lead ids (repeatable).")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="At most this many unowned new leads.")] = None,
    json_out: JsonOption = False,
) -> None:
    """Route unowned new leads (all of them, or the given ones) and show why each went where."""
    with container().uow(CLI_ACTOR) as uow:
        summary = service.assign_leads(uow, now=utcnow(), lead_ids=lead, limit=limit)
        uow.commit()
    if json_out:
        print_json({"routed": len(summary.assignments), "by_outcome": summary.by_outcome,
                    "skipped": summary.skipped_locked,
                    "assignments": [{"lead_id": a.lead_id, "person_id": a.person_id, "outcome": a.outcome.value,
                                     "queue": a.queue, "explanation": a.explain()} for a in summary.assignments]})
        return
    table = Table("线索", "销售", "结果", "原因", title=f"分配 {len(summary.assignments)} 条线索 {summary.by_outcome}")
    for a in summary.assignments[:200]:
        table.add_row(str(a.lead_id), str(a.person_id or "—"), a.outcome.value, a.explain())
    console.print(table)


@app.command("simulate")
def simulate(
    start: Annotated[str | None, typer.Option("--from", help="First day (default: first day of last month).")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Day after the last (default: first of this month).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Preview the saved policies on past leads (default: last month's); nothing is written."""
    first = utcnow().astimezone(UTC).date().replace(day=1)
    s_day = _day(start, "--from") or (first - timedelta(days=1)).replace(day=1)
    e_day = _day(end, "--to") or first
    with container().read() as s:
        sim = service.simulate(s, start=s_day, end=e_day, now=utcnow())
    if json_out:
        print_json({"start": s_day, "end": e_day, "leads": sim.leads, "by_outcome": sim.by_outcome,
                    "by_person": [{"person_id": p, "name": n, "leads": c} for p, n, c in sim.by_person],
                    "samples": [{"lead_id": lid, "person": who, "explanation": why} for lid, who, why in sim.samples]})
        return
    table = Table("销售", "线索数", title=f"模拟 {s_day} – {e_day}: {sim.leads} 条线索 {sim.by_outcome}")
    for _, name, n in sim.by_person:
        table.add_row(name, str(n))
    console.print(table)


@app.command("sla")
def sla(
    sweep: Annotated[bool, typer.Option("--sweep", help="Re-route leads past their deadline first.")] = False,
    days: Annotated[int, typer.Option(min=1, help="Statistics over the last N days.")] = 30,
    json_out: JsonOption = False,
) -> None:
    """First-contact SLA: optionally re-route overdue leads, then statistics per rep."""
    c = container()
    rerouted: list[Any] = []
    if sweep:
        with c.uow(CLI_ACTOR) as uow:
            rerouted = service.sweep_sla(uow, now=utcnow())
            uow.commit()
    end = utcnow() + timedelta(seconds=1)
    con = connect_store(c.settings.database_url)
    try:
        with c.read() as s:
            stats = queries.sla_stats(s, con, CLI_PRINCIPAL, start=end - timedelta(days=days), end=end)
    finally:
        con.disconnect()
    if json_out:
        print_json({"rerouted": [e.lead_id for e in rerouted], "stats": stats})
        return
    if sweep:
        console.print(f"re-routed {len(rerouted)} lead(s)")
    table = Table("销售", "分配", "按时联系", "超时改派", "按时率", "平均联系时长(h)",
                  title=f"首次联系 SLA（近 {days} 天）")
    for r in stats:
        table.add_row(r["name"], str(r["assigned"]), str(r["contacted_in_time"]), str(r["breached"]),
                      "—" if r["in_time_rate"] is None else f"{r['in_time_rate'] * 100:.1f}%",
                      "—" if r["avg_hours_to_contact"] is None else str(r["avg_hours_to_contact"]))
    console.print(table)


@bench_app.command("routing")
def bench_routing(
    leads: Annotated[int, typer.Option(min=1, help="Leads in the batch for the pure engine.")] = 100_000,
    reps: Annotated[int, typer.Option(min=10, help="Reps in the synthetic company.")] = 2000,
    single: Annotated[int, typer.Option(min=10, help="Single-lead API calls timed for p50/p99.")] = 200,
    json_out: JsonOption = False,
) -> None:
    """The pure engine on a large company (all policies on), and p50/p99 of the single-lead API
    path (POST /api/v1/routing/leads through the real app on a temporary SQLite store)."""
    figures = bench.time_engine(leads, reps)
    if not json_out:
        err_console.print(f"routed {leads:,} leads in {figures['seconds']} s; timing {single} single-lead calls …")
    figures.update(_single_lead_latency(single))
    from chanli.cli.bench import show

    show("chanli bench routing", figures, json_out)


def _single_lead_latency(n: int) -> dict[str, float]:
    from importlib import import_module

    from fastapi.testclient import TestClient

    from chanli.core.config import Settings
    from chanli.schema import upgrade

    folder = Path(tempfile.mkdtemp(prefix="chanli-bench-routing-"))
    bootstrap = import_module("chanli.bootstrap")  # the composition root, as ``common.container`` does
    c = bootstrap.build(Settings(database_url=f"sqlite:///{folder / 'bench.db'}"))
    try:
        upgrade(c.engine)
        with c.uow(CLI_ACTOR) as uow:
            username = bench.seed_company(uow)
            uow.commit()
        with TestClient(bootstrap.create_app(c)) as client:
            token = client.post("/api/v1/auth/token", data={"username": username, "password": "bench-pass-123"})
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            provinces = bench.PROVINCES

            def call(i: int) -> None:
                r = client.post("/api/v1/routing/leads", headers=headers, json={
                    "company_name": f"基准线索{i}", "province": provinces[i % len(provinces)],
                    "industry": "制造", "product": "CRM", "score": str(50 + i % 50)})
                if r.status_code != 201:
                    raise RuntimeError(r.text)

            return bench.latencies(call, n)
    finally:
        c.engine.dispose()
        import shutil

        shutil.rmtree(folder, ignore_errors=True)


