"""``chanli demo``: build the demo company (产力科技) into an empty store and serve it, or
write benchmark-sized data sets (``--scale``) to Parquet.

A thin shell: it picks "today" (the first day of the current month in Asia/Shanghai, so the
history is the last full months), checks the store is empty, and calls ``chanli.demo``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from chanli.cli.app import app, serve
from chanli.cli.common import EXIT_BAD_INPUT, console, container, err_console, fail, print_json, reset
from chanli.demo import (
    DEFAULT_SEED,
    DEMO_ACTOR,
    DEMO_PASSWORD,
    DemoSpec,
    DemoSummary,
    EnrichSummary,
    build_demo,
    enrich_demo,
    store_is_empty,
)
from chanli.demo import Progress as ReportProgress

__all__ = ["demo"]

_STEP_NAMES = {
    "org": "组织 org", "accounts": "客户 accounts", "leads": "线索 leads", "opportunities": "商机 opportunities",
    "stage moves": "阶段 stage moves", "orders": "订单 orders", "payments and renewals": "回款 payments",
    "activities": "活动 activities", "calls and feedback": "通话 calls", "order lines": "订单行 order lines",
}


@app.command("demo")
def demo(
    seed: Annotated[int, typer.Option(help="Random seed; the same seed builds the same company.")] = DEFAULT_SEED,
    months: Annotated[int, typer.Option(min=1, max=36, help="Months of history.")] = 12,
    today: Annotated[str | None, typer.Option(
        help="First day without history (YYYY-MM-DD); default: the 1st of this month (Asia/Shanghai).")] = None,
    host: Annotated[str, typer.Option(help="Interface to serve on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on.")] = 8000,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build and exit; do not start the web app.")] = False,
    reset_store: Annotated[bool, typer.Option(
        "--reset", help="Delete and recreate the SQLite store first (refused on PostgreSQL).")] = False,
    json_out: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    bare: Annotated[bool, typer.Option(
        "--bare", help="Only the company's history: no target plan, pay runs, models or analyses.")] = False,
    scale: Annotated[bool, typer.Option(
        "--scale", help="Write a benchmark-sized data set to Parquet instead of the demo company.")] = False,
    reps: Annotated[int, typer.Option(min=1, max=100_000, help="--scale: number of reps.")] = 2000,
    lines: Annotated[int, typer.Option(min=1, help="--scale: number of order lines.")] = 1_000_000,
    out: Annotated[Path | None, typer.Option(help="--scale: output folder for the Parquet files.")] = None,
    to_db: Annotated[bool, typer.Option("--to-db", help="--scale: also load the data set into the store.")] = False,
) -> None:
    """Build the demo company 产力科技 (12 months of history) and serve it; or, with --scale,
    write benchmark data (up to 10k reps and 10M order lines) to Parquet."""
    day = _today(today)
    if scale:
        _scale(seed=seed, months=months, today=day, reps=reps, lines=lines, out=out, to_db=to_db,
               reset_store=reset_store, json_out=json_out)
        return
    _prepare_store(reset_store)
    started = time.perf_counter()
    with _progress(enabled=not json_out) as report, container().uow(DEMO_ACTOR) as uow:
        summary = build_demo(uow, DemoSpec(today=day, seed=seed, months=months), progress=report)
        uow.commit()
    extras = None if bare else _enrich(day, quiet=json_out)
    seconds = time.perf_counter() - started
    url = f"http://{host}:{port}"
    if json_out:
        print_json(_summary_json(summary, url, seconds) | {"extras": _extras_json(extras)})
    else:
        _print_summary(summary, url, seconds)
        if extras is not None and extras.done:
            console.print("also: " + " · ".join(f"{k} ✓" for k in extras.done))
    if not no_serve:
        serve(host=host, port=port, workers=1)


def _enrich(day: date, *, quiet: bool) -> EnrichSummary:
    """Targets, pay runs, models and analyses on top of the history (each step on its own)."""
    from chanli.core.engine import connect_store

    c = container()
    con = connect_store(c.settings.database_url)
    try:
        with console.status("目标、薪酬、模型 targets, pay, models…", spinner="dots") if not quiet else nullcontext():
            extras = enrich_demo(lambda: c.uow(DEMO_ACTOR), con, today=day)
    finally:
        con.disconnect()
    for name, why in extras.failed.items():
        err_console.print(f"[yellow]warning:[/] demo step {name!r} did not complete: {why}")
    return extras


def _today(text: str | None) -> date:
    if text is None:
        return datetime.now(ZoneInfo("Asia/Shanghai")).date().replace(day=1)
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--today {text!r} is not a date", EXIT_BAD_INPUT, "use YYYY-MM-DD, e.g. 2026-01-01")


def _prepare_store(reset_store: bool) -> None:
    """Reset (SQLite only) and migrate the store, then refuse unless it is empty."""
    from sqlalchemy.engine import make_url

    from chanli.schema import upgrade

    c = container()
    url = make_url(c.settings.database_url)
    if reset_store:
        if not url.drivername.startswith("sqlite"):
            fail("--reset only deletes SQLite files; this store is PostgreSQL", EXIT_BAD_INPUT,
                 "drop and recreate the database yourself (dropdb/createdb), or use --db sqlite:///demo.db")
        if url.database and url.database != ":memory:":
            c.engine.dispose()
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(url.database + suffix).unlink(missing_ok=True)
            reset()
            c = container()
    upgrade(c.engine)
    with c.read() as s:
        empty = store_is_empty(s)
    if not empty:
        hint = ("run `chanli demo --reset` to delete this SQLite store and build the demo afresh"
                if url.drivername.startswith("sqlite") else "point --db at an empty database")
        fail(f"the store {url.render_as_string(hide_password=True)} already holds data; "
             "the demo only builds into an empty store", EXIT_BAD_INPUT, hint)


@contextmanager
def _progress(*, enabled: bool) -> Iterator[ReportProgress]:
    """Rich progress bars, one per step, fed by the generator's ``progress`` callback."""
    if not enabled:
        yield lambda _step, _done, _total: None
        return
    bars = Progress(TextColumn("{task.description:<22}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=False)
    tasks: dict[str, TaskID] = {}

    def report(step: str, done: int, total: int) -> None:
        if step not in tasks:
            tasks[step] = bars.add_task(_STEP_NAMES.get(step, step), total=total)
        bars.update(tasks[step], completed=done, total=total)

    with bars:
        yield report


def _summary_json(summary: DemoSummary, url: str, seconds: float) -> dict[str, object]:
    return {
        "seed": summary.spec.seed, "months": summary.spec.months, "start": summary.spec.start,
        "today": summary.spec.today, "seconds": round(seconds, 2), "counts": summary.counts,
        "won_revenue": summary.won_revenue, "collected": summary.collected, "url": url,
        "password": DEMO_PASSWORD,
        "logins": [{"username": x.username, "role": x.role.value, "name": x.display_name, "sees": x.sees}
                   for x in summary.logins],
    }


def _extras_json(extras: EnrichSummary | None) -> dict[str, object] | None:
    return None if extras is None else {"done": extras.done, "failed": extras.failed}


def _print_summary(summary: DemoSummary, url: str, seconds: float) -> None:
    from chanli.core.money import format_money

    spec = summary.spec
    counts = Table("table", "rows", title=f"产力科技 demo · {spec.start:%Y-%m} – {spec.today:%Y-%m-%d} "
                   f"(seed {spec.seed}, {seconds:.1f} s)")
    for name, n in summary.counts.items():
        counts.add_row(name, f"{n:,}")
    console.print(counts)
    console.print(f"won revenue {format_money(summary.won_revenue)} · collected {format_money(summary.collected)}")
    logins = Table("username", "password", "role", "who", "sees", title="demo logins")
    for login in summary.logins:
        logins.add_row(login.username, DEMO_PASSWORD, login.role.value, login.display_name, login.sees)
    console.print(logins)
    console.print(f"open [bold]{url}[/] and log in as any of them")


def _scale(*, seed: int, months: int, today: date, reps: int, lines: int, out: Path | None, to_db: bool,
           reset_store: bool, json_out: bool) -> None:
    from chanli.demo.scale import ScaleSpec, generate_scale, load_scale

    if out is None:
        fail("--scale needs --out DIR for the Parquet files", EXIT_BAD_INPUT,
             "e.g. chanli demo --scale --reps 2000 --lines 1000000 --out bench/")
    if to_db:
        _prepare_store(reset_store)
    spec = ScaleSpec(reps=reps, lines=lines, today=today, seed=seed, months=months)
    started = time.perf_counter()
    with _progress(enabled=not json_out) as report:
        manifest = generate_scale(spec, out, progress=report)
        generated = time.perf_counter() - started
        loaded: dict[str, int] = {}
        if to_db:
            with container().uow(DEMO_ACTOR) as uow:
                loaded = load_scale(uow, out, progress=report)
                uow.commit()
    total = time.perf_counter() - started
    if json_out:
        print_json({"out": str(out), "manifest": manifest, "generate_seconds": round(generated, 2),
                    "loaded": loaded, "seconds": round(total, 2)})
        return
    table = Table("table", "rows", "loaded into the store" if to_db else "", title=f"benchmark data in {out}")
    for name, n in manifest.rows.items():
        table.add_row(name, f"{n:,}", f"{loaded[name]:,}" if name in loaded else "")
    console.print(table)
    for name, value in manifest.sums.items():
        console.print(f"sum {name} = {value}")
    console.print(f"generated in {generated:.1f} s; total {total:.1f} s; manifest: {out / 'manifest.json'}")
