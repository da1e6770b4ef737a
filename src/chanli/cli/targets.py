"""``chanli targets …`` and ``chanli bench targets``: decompose a target, show progress, move a
plan through its states, review it, round-trip the planning grid through Excel, keep the
holiday calendar, and measure the set-based progress engine.

A thin shell: it parses, calls ``chanli.targets`` through the container, prints a Rich table
or ``--json``. The CLI is an operator's tool: it acts with administrator rights (every
change is still audited, as ``cli``).
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chanli.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, console, container, err_console, fail, print_json
from chanli.core.auth import Forbidden
from chanli.core.db import Actor
from chanli.core.issues import ValidationFailed
from chanli.core.periods import business_date
from chanli.targets import (
    COMPANY,
    METRICS,
    DecompositionMethod,
    ExpectationBasis,
    NotFound,
    OwnerRef,
    PlanPreview,
    PlanRequest,
    TargetStatus,
    bench,
    connect_parquet,
    connect_store,
    parse_owner,
    queries,
    service,
    workbook,
)

__all__ = ["app", "bench_app"]

app = typer.Typer(
    help="Targets and OKR (目标): decompose, progress, approve, review, Excel round trip.", no_args_is_help=True
)
bench_app = typer.Typer(help="Benchmarks of the set-based engines.", no_args_is_help=True)

CLI_ACTOR = Actor(user_id=None, name="cli")
PRINCIPAL = queries.SYSTEM_PRINCIPAL
PERIOD_BY = {"equal", "seasonal", "working_days"}
OWNER_BY = {"equal", "capacity", "last_year", "potential"}
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _methods(by: str) -> tuple[DecompositionMethod, DecompositionMethod]:
    """``seasonal,capacity`` → (period method, owner method); ``equal`` fills the period slot
    first, then the owner slot."""
    period: str | None = None
    owner: str | None = None
    for token in (t.strip().lower() for t in by.split(",") if t.strip()):
        if (token == "equal" and period is None) or (token in PERIOD_BY - {"equal"} and period in (None, "equal")):
            period = token
        elif token in OWNER_BY and owner is None:
            owner = token
        else:
            fail(
                f"cannot use {token!r} in --by {by!r}",
                EXIT_BAD_INPUT,
                f"one of {', '.join(sorted(PERIOD_BY))} and one of {', '.join(sorted(OWNER_BY))}, "
                "e.g. seasonal,capacity",
            )
    return DecompositionMethod(period or "equal"), DecompositionMethod(owner or "equal")


def _owner(text: str | None) -> OwnerRef | None:
    if text is None:
        return None
    try:
        return parse_owner(text)
    except ValueError as exc:
        fail(str(exc), EXIT_BAD_INPUT)


def _decimal(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        fail(f"{what} must be a number, not {text!r}", EXIT_BAD_INPUT)
    if not value.is_finite():
        fail(f"{what} must be a finite number", EXIT_BAD_INPUT)
    return value


def _engine() -> Any:
    return connect_store(container().settings.database_url)


def _fmt(value: Decimal | None, unit: str) -> str:
    """Compact for tables (money in 万/亿, as Chinese sales teams read it); --json is exact."""
    if value is None:
        return "—"
    if unit == "money":
        if abs(value) >= Decimal(100_000_000):
            return f"{value / Decimal(100_000_000):,.2f}亿"
        if abs(value) >= Decimal(10_000):
            return f"{value / Decimal(10_000):,.2f}万"
        return f"{value:,.2f}"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    return f"{value:,}"


def _grid_json(p: PlanPreview) -> dict[str, Any]:
    shape = p.shape
    return {
        "plan_id": p.plan_id,
        "metric": p.metric.code,
        "period": p.period.label,
        "owner": str(shape.root),
        "period_method": p.request.period_method.value,
        "owner_method": p.request.owner_method.value,
        "periods": [{"label": x.label, "grain": x.grain.value, "start": x.start, "end": x.end} for x in shape.periods],
        "rows": [
            {
                "owner": str(o),
                "name": p.names[o],
                "parent": str(shape.owner_parent[o]) if shape.owner_parent[o] else None,
                "values": {shape.periods[i].label: p.grid[(o, i)] for i in range(len(shape.periods))},
            }
            for o in shape.owners
        ],
        "notes": [{"code": n.code, "message": n.message} for n in p.notes],
        "warnings": sum(len(v) for v in p.smart.values()),
    }


@app.command("decompose")
def decompose(
    metric: Annotated[str, typer.Option(help=f"Metric code: {', '.join(METRICS)}.")],
    value: Annotated[str, typer.Option(help="The target for the whole period, e.g. 10000000.")],
    year: Annotated[int | None, typer.Option(help="Fiscal year to plan (or use --period).")] = None,
    period: Annotated[str | None, typer.Option(help="Period label instead of --year: 2027, 2027-Q1, 2027-H2.")] = None,
    by: Annotated[
        str,
        typer.Option(
            help="How to split: a period method (equal, seasonal, working_days) and an "
            "owner method (equal, capacity, last_year, potential)."
        ),
    ] = "equal,equal",
    owner: Annotated[str | None, typer.Option(help="Whose target: company (default), team:ID or person:ID.")] = None,
    grains: Annotated[
        str, typer.Option(help="Levels below the period, e.g. quarter,month or quarter,month,week.")
    ] = "quarter,month",
    name: Annotated[str | None, typer.Option(help="Name of the saved plan.")] = None,
    save: Annotated[bool, typer.Option("--save", help="Save it as a draft plan (otherwise only print it).")] = False,
    json_out: JsonOption = False,
) -> None:
    """Split a target down the calendar and the org tree; print the grid (and --save it)."""
    if metric not in METRICS:
        fail(f"unknown metric {metric!r}", EXIT_BAD_INPUT, f"one of {', '.join(METRICS)}")
    if (year is None) == (period is None):
        fail("give exactly one of --year and --period", EXIT_BAD_INPUT, "e.g. --year 2027")
    label = period or str(year)
    period_method, owner_method = _methods(by)
    request = PlanRequest(
        metric_code=metric,
        period_label=label,
        value=_decimal(value, "--value"),
        owner=_owner(owner) or COMPANY,
        period_method=period_method,
        owner_method=owner_method,
        grains=tuple(g.strip() for g in grains.split(",") if g.strip()),
        name=name or "",
    )
    c = container()
    con = _engine()
    try:
        with c.uow(CLI_ACTOR) as uow:
            preview = (
                service.create_plan(uow, PRINCIPAL, request, con)
                if save
                else service.build_plan(uow.session, PRINCIPAL, request, con)
            )
            if save:
                uow.commit()
    except (ValueError, NotFound, Forbidden, ValidationFailed) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    if json_out:
        print_json(_grid_json(preview))
        return
    _print_grid(preview)


def _print_grid(p: PlanPreview) -> None:
    shape, unit = p.shape, p.metric.unit.value
    cols = [i for i in range(len(shape.periods)) if shape.periods[i].grain.value in ("year", "half", "quarter")]
    if len(cols) < 2:  # a quarter or month plan: show its months too
        cols = [i for i in range(len(shape.periods)) if shape.periods[i].grain.value != "week"]
    title = (
        f"{p.metric.label_zh} {p.metric.code} · {p.period.label} · {p.request.period_method.value}/"
        f"{p.request.owner_method.value}"
    ) + (f" · saved as plan {p.plan_id} (draft)" if p.plan_id else "")
    table = Table("owner", "name", *[shape.periods[i].label for i in cols], title=title, box=None, pad_edge=False)
    depth: dict[OwnerRef, int] = {}
    for o in shape.owners:
        parent = shape.owner_parent.get(o)
        depth[o] = 0 if parent is None else depth[parent] + 1
        table.add_row(str(o), "  " * depth[o] + p.names[o], *[_fmt(p.grid[(o, i)], unit) for i in cols])
    console.print(table)
    months = [i for i in range(len(shape.periods)) if shape.periods[i].grain.value == "month"]
    if months and len(cols) > 1:
        root = shape.root
        console.print(
            "months ("
            + str(root)
            + "): "
            + " · ".join(f"{shape.periods[i].label[-2:]} {_fmt(p.grid[(root, i)], unit)}" for i in months)
        )
    for n in p.notes:
        console.print(f"[yellow]![/] {n.message}")
    warnings = sum(len(v) for v in p.smart.values())
    if warnings:
        console.print(f"[yellow]{warnings} SMART warnings[/] (see them in the planner or with --json)")
    if not p.plan_id:
        console.print("[dim]preview only: add --save to keep it as a draft plan[/]")


@app.command("progress")
def progress(
    period: Annotated[str, typer.Option(help="Period label: 2026-10, 2026-Q4, 2026, 2026-W42.")],
    owner: Annotated[str | None, typer.Option(help="company, team:ID or person:ID (default: every owner).")] = None,
    metric: Annotated[str | None, typer.Option(help="Only this metric (default: those with targets).")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Day to pace at (default: today, company time).")] = None,
    basis: Annotated[
        ExpectationBasis, typer.Option(help="Expected-to-date by calendar or working days.")
    ] = ExpectationBasis.CALENDAR,
    all_owners: Annotated[bool, typer.Option("--all", help="Also owners without a target.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Actual vs target, expected-to-date, projections and pacing status."""
    if metric is not None and metric not in METRICS:
        fail(f"unknown metric {metric!r}", EXIT_BAD_INPUT, f"one of {', '.join(METRICS)}")
    owners = [o] if (o := _owner(owner)) else None
    c = container()
    try:
        with c.read() as s:
            day = date.fromisoformat(as_of) if as_of else queries.today(s)
            rows = queries.progress(
                s,
                PRINCIPAL,
                _engine(),
                period_label=period,
                owners=owners,
                metric_codes=[metric] if metric else None,
                as_of=day,
                basis=basis,
                only_with_targets=not all_owners and owners is None,
            )
    except (ValueError, LookupError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    if json_out:
        print_json(rows)
        return
    table = Table(
        "owner",
        "name",
        "metric",
        "target",
        "actual",
        "expected",
        "attain.",
        "run-rate",
        "w/ pipe",
        "status",
        title=f"progress {period} as of {day}",
        box=None,
        pad_edge=False,
    )
    colours = {"ahead": "green", "on_track": "cyan", "behind": "yellow", "at_risk": "red"}
    for r in rows:
        status = f"[{colours.get(r.status or '', 'dim')}]{r.status or '—'}[/]"
        table.add_row(
            r.owner,
            r.owner_name,
            r.metric_code,
            _fmt(r.target, r.unit),
            _fmt(r.actual, r.unit),
            _fmt(r.expected_to_date, r.unit),
            "—" if r.attainment is None else f"{r.attainment * 100:.1f}%",
            _fmt(r.projected_run_rate, r.unit),
            _fmt(r.projected_with_pipeline, r.unit),
            status,
        )
    console.print(table)
    if not rows:
        console.print("[dim]no targets for this period; pass --all to see actuals anyway[/]")


@app.command("plans")
def plans(json_out: JsonOption = False) -> None:
    """List target plans."""
    with container().read() as s:
        rows = queries.list_plans(s, PRINCIPAL)
    if json_out:
        print_json(rows)
        return
    table = Table("id", "name", "metric", "period", "owner", "value", "methods", "status", "v")
    for r in rows:
        table.add_row(
            str(r.id),
            r.name,
            r.metric_code,
            r.period_label,
            r.owner_name,
            _fmt(r.value, METRICS[r.metric_code].unit.value),
            f"{r.period_method}/{r.owner_method}",
            r.status,
            str(r.version),
        )
    console.print(table)


def _transition(plan_id: int, to: TargetStatus, reason: str | None, json_out: bool) -> None:
    try:
        with container().uow(CLI_ACTOR) as uow:
            plan = service.transition_plan(uow, PRINCIPAL, plan_id, to, reason=reason)
            result = {"id": plan.id, "status": plan.status, "version": plan.version}
            uow.commit()
    except NotFound as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except ValidationFailed as exc:
        for issue in exc.issues.errors[:20]:
            err_console.print(f"[red]✗[/] {issue.message}")
        fail(str(exc), EXIT_BAD_INPUT)
    except ValueError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    if json_out:
        print_json(result)
    else:
        console.print(f"[green]✓[/] plan {plan_id} is now [bold]{result['status']}[/] (version {result['version']})")


ReasonOption = Annotated[str | None, typer.Option(help="Why (kept in the version history).")]


@app.command("approve")
def approve(plan_id: int, reason: ReasonOption = None, json_out: JsonOption = False) -> None:
    """Approve a draft plan (its grid must add up)."""
    _transition(plan_id, TargetStatus.APPROVED, reason, json_out)


@app.command("activate")
def activate(plan_id: int, reason: ReasonOption = None, json_out: JsonOption = False) -> None:
    """Make an approved plan the one progress is measured against."""
    _transition(plan_id, TargetStatus.ACTIVE, reason, json_out)


@app.command("close")
def close(plan_id: int, reason: ReasonOption = None, json_out: JsonOption = False) -> None:
    """Close an active plan."""
    _transition(plan_id, TargetStatus.CLOSED, reason, json_out)


@app.command("review")
def review(
    plan_id: int,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Review date (default: today).")] = None,
    owner: Annotated[str | None, typer.Option(help="Whose targets (default: the plan's owner).")] = None,
    accept: Annotated[bool, typer.Option("--accept", help="Accept the proposal at once.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Monthly review: propose moving the shortfall of closed periods into the remaining ones."""
    c = container()
    try:
        with c.uow(CLI_ACTOR) as uow:
            day = date.fromisoformat(as_of) if as_of else queries.today(uow.session)
            req = service.review_plan(uow, PRINCIPAL, plan_id, _engine(), as_of=day, owner=_owner(owner))
            if accept:
                service.decide_adjustment(uow, PRINCIPAL, req.id, accept=True, note="accepted from the CLI")
            result = {"id": req.id, "state": req.state, "reason": req.reason, "proposed": req.proposed}
            uow.commit()
    except (ValueError, LookupError) as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    if json_out:
        print_json(result)
        return
    table = Table("period", "actual", "target", "proposed", title=f"review #{req.id}: {req.reason} ({req.state})")
    for cell in result["proposed"]["cells"]:
        table.add_row(cell["period"], cell["actual"] or "", cell["current"], cell["proposed"])
    console.print(table)


@app.command("export")
def export(
    plan_id: int,
    out: Annotated[Path, typer.Option(help="The .xlsx file to write.")],
) -> None:
    """Write the planning grid to Excel (reps' months as values, totals as formulas)."""
    try:
        with container().read() as s:
            data = workbook.export_plan(s, PRINCIPAL, plan_id)
    except NotFound as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    out.write_bytes(data)
    console.print(f"[green]✓[/] plan {plan_id} written to {out}")


@app.command("import")
def import_(
    plan_id: int,
    file: Annotated[Path, typer.Argument(help="The edited .xlsx file.")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Read an edited planning grid back; every bad cell is reported, nothing applied on error."""
    if not file.is_file():
        fail(f"no such file: {file}", EXIT_BAD_INPUT)
    try:
        with container().uow(CLI_ACTOR) as uow:
            result = workbook.import_plan(
                uow, PRINCIPAL, plan_id, file.read_bytes(), source=file.name, dry_run=dry_run, con=_engine()
            )
            if result.applied:
                uow.commit()
    except NotFound as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    errors = [i for i in result.issues if i.is_error]
    if json_out:
        print_json(
            {
                "applied": result.applied,
                "changed": result.changed,
                "total_before": result.total_before,
                "total_after": result.total_after,
                "issues": [i.as_dict() for i in result.issues],
            }
        )
    else:
        if result.issues:
            table = Table("", "row", "column", "value", "problem")
            for i in result.issues:
                table.add_row(
                    "[red]✗[/]" if i.is_error else "[yellow]![/]",
                    "" if i.row is None else str(i.row),
                    i.column or "",
                    i.value or "",
                    i.message,
                )
            console.print(table)
        if errors:
            console.print(f"[red]✗ {len(errors)} errors; nothing was changed[/]")
        elif dry_run:
            console.print(f"[green]✓ valid[/]: {result.changed} cells would change")
        else:
            console.print(f"[green]✓ imported[/]: {result.changed} cells changed")
    if errors:
        raise typer.Exit(EXIT_BAD_INPUT)


@app.command("holidays")
def holidays(
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    seed: Annotated[
        bool, typer.Option("--seed", help="Load the built-in mainland China calendar (2026–2027).")
    ] = False,
    json_out: JsonOption = False,
) -> None:
    """Show (or --seed) the holiday calendar used for working-day splits and pacing."""
    c = container()
    if seed:
        with c.uow(CLI_ACTOR) as uow:
            created, updated = service.seed_holidays(uow)
            uow.commit()
        if not json_out:
            console.print(f"[green]✓[/] holiday calendar: {created} days added, {updated} updated")
    with c.read() as s:
        rows = queries.holidays(s, year)
    if json_out:
        print_json(rows)
        return
    table = Table("day", "weekday", "kind", "name", "official")
    for h in rows:
        table.add_row(
            h.day.isoformat(),
            "一二三四五六日"[h.day.weekday()],
            "上班" if h.is_workday else "放假",
            h.name,
            "✓" if h.official else "provisional",
        )
    console.print(table)


@bench_app.command("targets")
def bench_targets(
    reps: Annotated[int, typer.Option(min=1, help="Generate a data set with this many reps.")] = 2000,
    lines: Annotated[int, typer.Option(min=1000, help="… and this many order lines.")] = 1_000_000,
    data: Annotated[Path | None, typer.Option(help="Use this Parquet folder (chanli demo --scale --out DIR).")] = None,
    engine: Annotated[str, typer.Option(help="duckdb or spark over Parquet, or store (the OLTP database).")] = "duckdb",
    json_out: JsonOption = False,
) -> None:
    """Progress for all owners × metrics × periods, timed against one bare GROUP BY."""
    if engine not in ("duckdb", "spark", "store"):
        fail(f"unknown engine {engine!r}", EXIT_BAD_INPUT, "use duckdb, spark or store")
    generated: Path | None = None
    try:
        if engine == "store":
            con = _engine()
        else:
            folder = data
            if folder is None:
                from chanli.demo.scale import ScaleSpec, generate_scale

                generated = Path(tempfile.mkdtemp(prefix="chanli-bench-"))
                if not json_out:
                    err_console.print(f"generating {reps:,} reps and {lines:,} order lines in {generated} …")
                today = business_date(datetime.now(UTC))  # the bench needs no store
                generate_scale(ScaleSpec(reps=reps, lines=lines, today=date(today.year, today.month, 1)), generated)
                folder = generated
            try:
                con = connect_parquet(folder, engine)
            except ImportError:
                fail("Spark is not installed", EXIT_BAD_INPUT, escape("pip install 'ibis-framework[pyspark]==12.0.0'"))
            except FileNotFoundError as exc:
                fail(str(exc), EXIT_BAD_INPUT)
        result = bench.run_bench(con, engine=engine)
    except ValueError as exc:
        fail(str(exc), EXIT_FAILED)
    finally:
        if generated is not None:
            import shutil

            shutil.rmtree(generated, ignore_errors=True)
    if json_out:
        print_json(result.as_dict())
        return
    table = Table(
        "engine", "owners", "metrics", "periods", "cells", "seconds", "floor s", "ratio", title="chanli bench targets"
    )
    table.add_row(
        result.engine,
        f"{result.owners:,}",
        str(len(result.metrics)),
        str(len(result.periods)),
        f"{result.cells:,}",
        f"{result.seconds:.3f}",
        f"{result.floor_s:.3f}",
        f"{result.ratio:.1f}×",
    )
    console.print(table)
    console.print("statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(result.statuses.items())))
