"""``chanli comp …`` and ``chanli bench comp``: plans (validate, save, publish, assign), runs
(compute, submit, approve, reject, review), statements, disputes, what-if, lightning awards,
payroll hand-off, and the set-based engine's benchmark.

A thin shell over ``chanli.compensation``. The CLI is an operator's tool: by default it acts
with administrator rights as ``cli`` (every change audited). ``--as USERNAME`` acts as that
login instead — approval requires it, so maker-checker holds on the command line too.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chanli.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED,
    console,
    container,
    err_console,
    fail,
    login_principal,
    print_json,
)
from chanli.compensation import ENGINES, PlanInvalid, bench, load_plan, payroll, queries, service
from chanli.core.auth import Forbidden, Principal, Role
from chanli.core.db import Actor
from chanli.core.issues import ValidationFailed
from chanli.core.periods import business_date

__all__ = ["app", "bench_app"]

app = typer.Typer(
    help="Compensation (薪酬): plans, runs, approvals, statements, disputes, what-if, payroll.", no_args_is_help=True
)
plan_app = typer.Typer(help="Plans and their versions.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")
bench_app = typer.Typer(help="Benchmarks of the set-based engines.", no_args_is_help=True)

CLI_ACTOR = Actor(user_id=None, name="cli")
OPERATOR = Principal(user_id=0, username="cli", display_name="cli", role=Role.ADMIN)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOption = Annotated[str | None, typer.Option("--as", help="Act as this login (required to approve).")]
ERRORS = (ValueError, Forbidden, ValidationFailed, LookupError)


def _who(username: str | None) -> tuple[Principal, Actor]:
    if username is None:
        return OPERATOR, CLI_ACTOR
    principal = login_principal(username)
    return principal, Actor(user_id=principal.user_id, name=principal.display_name)


def _fail(exc: Exception) -> None:
    if isinstance(exc, ValidationFailed):
        for issue in exc.issues:
            where = f"{issue.column}: " if issue.column else ""
            err_console.print(f"  [red]✗[/] {escape(where + issue.message)}")
    fail(str(exc), EXIT_BAD_INPUT)


def _money(value: Decimal | None) -> str:
    return "—" if value is None else f"¥{value:,.2f}"


# --- plans ------------------------------------------------------------------------------------


@plan_app.command("validate")
def plan_validate(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)], json_out: JsonOption = False
) -> None:
    """Check a plan file; every problem is printed with its key path (exit 2 if any)."""
    try:
        plan = load_plan(file.read_text(encoding="utf-8"), source=file.name)
    except PlanInvalid as exc:
        if json_out:
            print_json({"ok": False, "issues": [i.as_dict() for i in exc.issues]})
            raise typer.Exit(EXIT_BAD_INPUT) from None
        _fail(exc)
        return
    if json_out:
        print_json({"ok": True, "plan": plan.plan.id, "components": [c.id for c in plan.components]})
        return
    console.print(f"[green]✓[/] {plan.plan.id}: {len(plan.components)} components, effective {plan.effective_from}")


@plan_app.command("save")
def plan_save(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    publish: Annotated[bool, typer.Option("--publish", help="Publish the new version right away.")] = False,
    note: Annotated[str | None, typer.Option(help="Why this version.")] = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Save a plan file as the plan's next version (identical content saves nothing)."""
    principal, actor = _who(as_user)
    text = file.read_text(encoding="utf-8")
    try:
        with container().uow(actor) as uow:
            row, created = service.save_plan_version(
                uow, principal, text, fmt=file.suffix.lstrip(".") or None, note=note
            )
            key = load_plan(text, source=file.name).plan.id
            if publish:
                service.publish_version(uow, principal, key, row.version)
            uow.commit()
    except ERRORS as exc:
        _fail(exc)
        return
    out = {"plan": key, "version": row.version, "created": created, "status": "published" if publish else row.status}
    if json_out:
        print_json(out)
        return
    console.print(f"{key} v{row.version} ({out['status']}){'' if created else ' — unchanged, no new version'}")


@plan_app.command("publish")
def plan_publish(key: str, version: int, as_user: AsOption = None) -> None:
    """Publish a draft version: runs use it from its effective date on."""
    principal, actor = _who(as_user)
    try:
        with container().uow(actor) as uow:
            service.publish_version(uow, principal, key, version)
            uow.commit()
    except ERRORS as exc:
        _fail(exc)
    console.print(f"{key} v{version} published")


@plan_app.command("assign")
def plan_assign(
    key: str,
    kind: Annotated[str, typer.Option(help="person, tier, role or team")],
    value: Annotated[str, typer.Option(help="person id, tier (new/core/elite), job role (rep) or team id")],
    effective_from: Annotated[str, typer.Option("--from", help="YYYY-MM-DD")],
    effective_to: Annotated[str | None, typer.Option("--to", help="YYYY-MM-DD (exclusive)")] = None,
    as_user: AsOption = None,
) -> None:
    """Assign a plan to people, a tier, a job role or a team."""
    principal, actor = _who(as_user)
    try:
        start = date.fromisoformat(effective_from)
        end = date.fromisoformat(effective_to) if effective_to else None
        with container().uow(actor) as uow:
            service.assign_plan(uow, principal, key, kind, value, start, end)
            uow.commit()
    except ERRORS as exc:
        _fail(exc)
    console.print(f"{key} assigned to {kind} {value} from {effective_from}")


@plan_app.command("list")
def plan_list(json_out: JsonOption = False) -> None:
    with container().read() as s:
        rows = queries.list_plans(s, OPERATOR)
    if json_out:
        print_json(rows)
        return
    table = Table("plan", "name", "versions", "published", title="薪酬方案")
    for r in rows:
        table.add_row(r.key, r.name, str(r.versions), f"v{r.published}" if r.published else "—")
    console.print(table)


@plan_app.command("show")
def plan_show(key: str, version: Annotated[int | None, typer.Option(help="Default: the newest")] = None) -> None:
    """Print a version's text as it was saved."""
    with container().read() as s:
        found = queries.version_text(s, OPERATOR, key, version)
    if found is None:
        fail(f"plan {key} has no such version", EXIT_BAD_INPUT)
    typer.echo(found[2])


# --- runs ------------------------------------------------------------------------------------------


def _outcome_json(o: service.RunOutcome) -> dict[str, Any]:
    return {
        "run_id": o.run_id,
        "plan": o.plan_key,
        "period": o.period,
        "version": o.version,
        "status": o.status,
        "created": o.created,
        "changed": o.changed,
        "fingerprint": o.fingerprint,
        "result_hash": o.result_hash,
        "total": o.total,
        "statements": o.statements,
        "errors": o.errors,
        "warnings": o.warnings,
        "engine": o.engine,
        "engine_check": o.engine_check,
        "issues": [i.as_dict() for i in o.issues],
    }


@app.command("run")
def run(
    period: Annotated[str, typer.Option(help="The period to pay, e.g. 2026-10")],
    plan: Annotated[str | None, typer.Option(help="Plan key (default: every plan with a version in effect)")] = None,
    version: Annotated[int | None, typer.Option(help="A published version (default: the one in effect)")] = None,
    engine: Annotated[str, typer.Option(help="store (reference), or duckdb/spark to cross-check set-based")] = "store",
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Compute a draft run: statements per person, every line explained (idempotent)."""
    if engine not in ENGINES:
        fail(f"unknown engine {engine!r}", EXIT_BAD_INPUT, f"one of {', '.join(ENGINES)}")
    principal, actor = _who(as_user)
    with container().read() as s:
        keys = [plan] if plan else [p.key for p in queries.list_plans(s, OPERATOR) if p.published]
    if not keys:
        fail("no published plan to run", EXIT_BAD_INPUT, "chanli comp plan save FILE --publish")
    outcomes = []
    for key in keys:
        try:
            with container().uow(actor) as uow:
                outcomes.append(service.run_period(uow, principal, key, period, version=version, engine=engine))
                uow.commit()
        except ImportError:
            fail("Spark is not installed", EXIT_BAD_INPUT, escape("pip install -e '.[spark]'"))
        except ERRORS as exc:
            if plan is None and "no published version in effect" in str(exc):
                continue
            _fail(exc)
    if json_out:
        print_json([_outcome_json(o) for o in outcomes] if plan is None else _outcome_json(outcomes[0]))
        return
    table = Table(
        "run", "plan", "period", "v", "status", "statements", "total", "errors", "warnings", "changed", title="薪酬计算"
    )
    for o in outcomes:
        table.add_row(
            str(o.run_id),
            o.plan_key,
            o.period,
            str(o.version),
            o.status,
            str(o.statements),
            _money(o.total),
            str(o.errors),
            str(o.warnings),
            "yes" if o.changed else "no (same inputs)",
        )
    console.print(table)
    for o in outcomes:
        for issue in o.issues[:10]:
            colour = "red" if issue.is_error else "yellow"
            console.print(f"  [{colour}]{issue.severity.value}[/] {escape(issue.message)}")
        if o.engine_check:
            console.print(f"  engine check: {o.engine_check}")
    if any(o.errors for o in outcomes):
        raise typer.Exit(EXIT_FAILED)


@app.command("runs")
def runs(
    plan: Annotated[str | None, typer.Option()] = None,
    period: Annotated[str | None, typer.Option()] = None,
    json_out: JsonOption = False,
) -> None:
    with container().read() as s:
        rows = queries.list_runs(s, OPERATOR, plan_key=plan, period=period)
    if json_out:
        print_json(rows)
        return
    table = Table("run", "plan", "period", "v", "status", "statements", "total", "errors", "by", title="计算批次")
    for r in rows:
        table.add_row(
            str(r.id),
            r.plan_key,
            r.period,
            str(r.version),
            r.status,
            str(r.statements),
            _money(r.total),
            str(r.errors),
            r.approved_by_name or r.submitted_by_name or r.created_by_name,
        )
    console.print(table)


@app.command("review")
def review(run_id: int, json_out: JsonOption = False) -> None:
    """Totals by component and tier, outliers and changes against the previous period."""
    with container().read() as s:
        rv = queries.review_run(s, OPERATOR, run_id)
    if rv is None:
        fail(f"no run #{run_id}", EXIT_BAD_INPUT)
    if json_out:
        print_json(
            {
                "run": rv.run,
                "components": rv.components,
                "tiers": rv.tiers,
                "statements": rv.statements,
                "outliers": rv.outliers,
                "previous": rv.previous,
                "issues": rv.issues,
            }
        )
        return
    console.print(
        f"run #{rv.run.id} {rv.run.plan_key} {rv.run.period} v{rv.run.version} {rv.run.status} — "
        f"{_money(rv.run.total)} over {rv.run.statements} statements"
    )
    table = Table("component", "kind", "lines", "amount", title="组成项合计")
    for c in rv.components:
        table.add_row(c.label, c.kind, str(c.lines), _money(c.amount))
    console.print(table)
    table = Table("person", "tier", "total", "previous", "flag", title="明细单")
    for r in rv.statements:
        table.add_row(r.person_name, r.tier, _money(r.total), _money(r.previous_total), r.outlier or "")
    console.print(table)


def _transition(action: str, run_id: int, as_user: str | None, reason: str | None = None) -> None:
    principal, actor = _who(as_user)
    try:
        with container().uow(actor) as uow:
            if action == "submit":
                row = service.submit_run(uow, principal, run_id)
            elif action == "approve":
                row = service.approve_run(uow, principal, run_id)
            else:
                row = service.reject_run(uow, principal, run_id, reason or "")
            uow.commit()
    except ERRORS as exc:
        _fail(exc)
        return
    console.print(f"run #{row.id} is {row.status}")


@app.command("submit")
def submit(run_id: int, as_user: AsOption = None) -> None:
    """Hand a draft run to finance (the maker's step)."""
    _transition("submit", run_id, as_user)


@app.command("approve")
def approve(run_id: int, as_user: AsOption = None) -> None:
    """Approve a submitted run and lock its period (the checker's step; needs --as)."""
    if as_user is None:
        fail("an approval needs the approver's login", EXIT_BAD_INPUT, "chanli comp approve RUN --as finance_user")
    _transition("approve", run_id, as_user)


@app.command("reject")
def reject(run_id: int, reason: Annotated[str, typer.Option()], as_user: AsOption = None) -> None:
    _transition("reject", run_id, as_user, reason)


# --- statements, disputes ---------------------------------------------------------------------------


@app.command("statements")
def statements(
    period: Annotated[str | None, typer.Option()] = None,
    run_id: Annotated[int | None, typer.Option("--run")] = None,
    person: Annotated[int | None, typer.Option(help="person id")] = None,
    json_out: JsonOption = False,
) -> None:
    with container().read() as s:
        rows = queries.list_statements(s, OPERATOR, period=period, run_id=run_id, person_id=person)
    if json_out:
        print_json(rows)
        return
    table = Table("id", "period", "plan", "person", "tier", "lines", "total", "status", title="薪酬明细单")
    for r in rows:
        table.add_row(str(r.id), r.period, r.plan_key, r.person_name, r.tier, str(r.lines), _money(r.total), r.status)
    console.print(table)


@app.command("statement")
def statement(statement_id: int, json_out: JsonOption = False) -> None:
    """One statement, every line with its formula in words."""
    with container().read() as s:
        d = queries.get_statement(s, OPERATOR, statement_id)
    if d is None:
        fail(f"no statement #{statement_id}", EXIT_BAD_INPUT)
    if json_out:
        print_json({"statement": d.statement, "lines": d.lines, "lines_total": d.lines_total})
        return
    st = d.statement
    table = Table("#", "item", "amount", "how", title=f"{st.person_name} {st.period} · {d.plan_name} v{d.version}")
    for ln in d.lines:
        table.add_row(str(ln.seq), ln.label, _money(ln.amount), escape(ln.formula))
    table.add_row("", "合计", _money(st.total), "")
    console.print(table)


@app.command("disputes")
def disputes(status: Annotated[str | None, typer.Option()] = None, json_out: JsonOption = False) -> None:
    with container().read() as s:
        rows = queries.list_disputes(s, OPERATOR, status=status)
    if json_out:
        print_json(rows)
        return
    table = Table("id", "person", "period", "line", "amount", "status", "resolution", title="争议")
    for r in rows:
        table.add_row(
            str(r.id), r.person_name, r.period, r.component, _money(r.line_amount), r.status, r.resolution or ""
        )
    console.print(table)


@app.command("resolve")
def resolve(
    dispute_id: int,
    reason: Annotated[str, typer.Option()],
    accept: Annotated[bool, typer.Option("--accept/--reject")] = False,
    amount: Annotated[str | None, typer.Option(help="Adjustment when accepting (negative takes back)")] = None,
    as_user: AsOption = None,
) -> None:
    principal, actor = _who(as_user)
    try:
        with container().uow(actor) as uow:
            d = service.resolve_dispute(uow, principal, dispute_id, accept=accept, reason=reason, amount=amount)
            uow.commit()
    except ERRORS as exc:
        _fail(exc)
        return
    console.print(f"dispute #{d.id} {d.status}")


# --- what-if, awards, payroll --------------------------------------------------------------------------


@app.command("what-if")
def what_if(
    plan: Annotated[str, typer.Option()],
    periods: Annotated[str, typer.Option(help="Comma-separated, e.g. 2026-07,2026-08,2026-09")],
    draft: Annotated[int | None, typer.Option("--draft", help="The version to try (default: the newest)")] = None,
    baseline: Annotated[int | None, typer.Option(help="Compare with (default: newest published)")] = None,
    json_out: JsonOption = False,
) -> None:
    """A draft version against the published one over past periods (writes nothing)."""
    labels = [p.strip() for p in periods.split(",") if p.strip()]
    try:
        with container().read() as s:
            w = queries.what_if(s, OPERATOR, plan, labels, draft_version=draft, baseline_version=baseline)
    except ERRORS as exc:
        _fail(exc)
        return
    if json_out:
        print_json(w.as_dict())
        return
    table = Table(
        "period",
        "revenue",
        f"v{w.baseline_version}",
        f"v{w.draft_version}",
        "Δ",
        "cost of sales",
        title=f"What-if {w.plan_key}",
    )
    for p in w.periods:
        cos = p.cost_of_sales(p.draft)
        table.add_row(
            p.period,
            _money(p.revenue),
            _money(p.baseline),
            _money(p.draft),
            _money(p.delta),
            f"{cos * 100:.2f}%" if cos is not None else "—",
        )
    table.add_row(
        "合计",
        _money(w.revenue),
        _money(w.baseline_total),
        _money(w.draft_total),
        _money(w.draft_total - w.baseline_total),
        "",
    )
    console.print(table)


@app.command("awards")
def awards(status: Annotated[str | None, typer.Option()] = None, json_out: JsonOption = False) -> None:
    with container().read() as s:
        rows = queries.list_awards(s, OPERATOR, status=status)
    if json_out:
        print_json(rows)
        return
    table = Table("id", "person", "by", "period", "amount", "pay", "status", "reason", title="闪电奖")
    for a in rows:
        table.add_row(
            str(a.id), a.person_name, a.granted_by_name, a.period, _money(a.amount), a.pay_as, a.status, a.reason
        )
    console.print(table)


@app.command("payroll")
def payroll_export(
    out: Annotated[Path, typer.Option(help="The file to write (.xlsx or .csv)")],
    period: Annotated[str | None, typer.Option()] = None,
    run_id: Annotated[int | None, typer.Option("--run")] = None,
    columns: Annotated[str | None, typer.Option(help="Comma-separated keys; component:<id> adds a component")] = None,
    as_user: AsOption = None,
) -> None:
    """Send approved statements to payroll: write the file and mark them sent."""
    fmt = out.suffix.lstrip(".").lower()
    if fmt not in ("xlsx", "csv"):
        fail("the file must end in .xlsx or .csv", EXIT_BAD_INPUT)
    principal, actor = _who(as_user)
    try:
        cols = payroll.check_columns((columns or "").split(","))
        with container().read() as s:
            ids = [
                r.id
                for r in queries.list_statements(
                    s, OPERATOR, period=period, run_id=run_id, status="approved", limit=1_000_000
                )
            ]
        with container().uow(actor) as uow:
            export = service.payroll_handoff(uow, principal, ids, file_format=fmt, columns=cols)
            data = payroll.render_payroll(payroll.payroll_rows(uow.session, principal, ids), cols, fmt)
            out.write_bytes(data)
            uow.commit()
    except ERRORS as exc:
        _fail(exc)
        return
    console.print(f"payroll export #{export.id}: {export.statement_count} statements, {_money(export.total)} → {out}")


# --- bench --------------------------------------------------------------------------------------------


@bench_app.command("comp")
def bench_comp(
    reps: Annotated[int, typer.Option(min=1, help="Reps in the generated data set.")] = 10_000,
    lines: Annotated[int, typer.Option(min=1000, help="Order lines in the generated data set.")] = 10_000_000,
    engine: Annotated[str, typer.Option(help="duckdb or spark over Parquet.")] = "duckdb",
    data: Annotated[Path | None, typer.Option(help="Data folder (default: a bench folder in the temp dir).")] = None,
    spark_lines: Annotated[
        int, typer.Option(help="With --engine duckdb, also time Spark on this many lines (0: skip).")
    ] = 0,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """A commission run set-based over Parquet, timed against one bare GROUP BY of the same lines."""
    if engine not in ("duckdb", "spark"):
        fail(f"unknown engine {engine!r}", EXIT_BAD_INPUT, "duckdb or spark")
    today = business_date(datetime.now(UTC))
    today = date(today.year, today.month, 1)
    folder = data or Path(tempfile.gettempdir()) / f"chanli-bench-comp-{reps}-{lines}-{today:%Y%m}"
    if not json_out and not (folder / "manifest.json").exists():
        err_console.print(f"generating {reps:,} reps and {lines:,} order lines in {folder} …")
    try:
        result = bench.run_bench(folder, engine, reps=reps, lines=lines, today=today).as_dict()
        if engine == "duckdb" and spark_lines:
            small = Path(tempfile.gettempdir()) / f"chanli-bench-comp-{max(reps // 10, 10)}-{spark_lines}-{today:%Y%m}"
            spark = bench.run_bench(small, "spark", reps=max(reps // 10, 10), lines=spark_lines, today=today)
            result["spark"] = {k: spark.as_dict()[k] for k in ("engine_s", "floor_s", "ratio", "reps", "lines")}
    except ImportError:
        fail("Spark is not installed", EXIT_BAD_INPUT, escape("pip install -e '.[spark]'"))
    if json_out:
        print_json(result)
        return
    table = Table("figure", "value", title="chanli bench comp")
    for key, value in result.items():
        table.add_row(key, str(value))
    console.print(table)
