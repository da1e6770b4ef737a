"""``chanli import`` and ``chanli export``: spreadsheets in and out (see chanli/exchange/docs.md).

A thin shell: it picks the file, runs ``chanli.exchange`` inside one unit of work, commits
only when the report is clean, and prints the report (table, ``--json`` or ``--report`` CSV).
Exit codes: 0 done, 1 the work failed, 2 bad input (nothing committed).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from chanli.cli.app import app
from chanli.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, console, container, err_console, fail, print_json
from chanli.exchange import (
    ENTITIES,
    SYSTEM_PRINCIPAL,
    ImportReport,
    entity_spec,
    export_table,
    import_file,
    import_maven_crm,
    write_csv,
    write_issues_csv,
    write_xlsx,
)

__all__ = ["export", "import_"]

MAVEN = "maven-crm"
SHOWN_ISSUES = 50
ENTITY_HELP = ", ".join(ENTITIES)


class _Bar:
    """A Rich progress bar on stderr (stdout stays clean for --json), one task per phase."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, object] = {}

    def __call__(self, phase: str, done: int, total: int | None) -> None:
        task = self.tasks.get(phase)
        if task is None:
            task = self.tasks[phase] = self.progress.add_task(phase, total=total)
        self.progress.update(task, completed=done, total=total)  # type: ignore[arg-type]


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err_console, transient=True)


@app.command("import")
def import_(
    entity: Annotated[str, typer.Argument(help=f"What the file holds: {ENTITY_HELP}; or {MAVEN} (a folder).")],
    file: Annotated[Path, typer.Argument(help="A .csv (UTF-8, UTF-8 with BOM, GB18030/GBK) or .xlsx file; "
                                              f"for {MAVEN} the dataset folder.")],
    mapping: Annotated[Path | None, typer.Option(
        "--mapping", help='JSON or YAML {"file header": "field"} overriding the built-in header synonyms.')] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Validate only; write nothing.")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="Write every issue to this CSV file.")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, max=50_000, hidden=True)] = 2000,
) -> None:
    """Import a spreadsheet: validate every row first, then apply all of it or nothing.

    Rows are matched by external id (else by name for people, teams, accounts, products), so
    importing the same file again changes nothing.
    """
    if entity != MAVEN:
        try:
            entity = entity_spec(entity).name
        except KeyError as exc:
            fail(str(exc.args[0]), EXIT_BAD_INPUT, f"e.g. chanli import people 人员.xlsx; or chanli import {MAVEN} "
                 "../shared/data/crm_sales_opportunities")
    if mapping is not None and entity == MAVEN:
        fail("--mapping does not apply to maven-crm (its columns are built in)", EXIT_BAD_INPUT)
    c = container()
    committed = False
    try:
        with c.uow() as uow, _progress() as progress:
            bar = _Bar(progress)
            if entity == MAVEN:
                result = import_maven_crm(uow, file, dry_run=dry_run, progress=bar, batch_size=batch_size)
            else:
                result = import_file(uow, entity, file, mapping=mapping, dry_run=dry_run, progress=bar,
                                     batch_size=batch_size)
            if result.ok and not dry_run:
                uow.commit()
                committed = True
    except SQLAlchemyError as exc:
        fail(f"the store failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}", EXIT_FAILED,
             "is the schema up to date? run: chanli db upgrade")
    if report is not None:
        with report.open("w", encoding="utf-8-sig", newline="") as out:
            write_issues_csv(result.issues, out)
    if json_out:
        print_json({**result.as_dict(), "committed": committed})
    else:
        _print_report(result, committed, report)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def _print_report(result: ImportReport, committed: bool, report: Path | None) -> None:
    if result.entities:
        table = Table("entity", "rows", "records", "created", "updated", "unchanged", title=result.source)
        if result.dry_run or not result.applied:
            table = Table("entity", "rows", "records", "new", "already stored", title=result.source)
        for c in result.entities:
            if result.dry_run or not result.applied:
                table.add_row(c.entity, f"{c.rows:,}", f"{c.records:,}", f"{c.new:,}", f"{c.matched:,}")
            else:
                table.add_row(c.entity, f"{c.rows:,}", f"{c.records:,}", f"{c.created:,}", f"{c.updated:,}",
                              f"{c.unchanged:,}")
        console.print(table)
    if result.issues:
        issues = Table("", "file", "row", "column", "value", "problem")
        for i in result.issues[:SHOWN_ISSUES]:
            mark = "[red]✗[/]" if i.is_error else "[yellow]![/]"
            issues.add_row(mark, i.source or "", "" if i.row is None else str(i.row), i.column or "", i.value or "",
                           i.message)
        console.print(issues)
        more = len(result.issues) - SHOWN_ISSUES
        if more > 0:
            console.print(f"… and {more:,} more" + ("" if report else "; write them all with --report FILE"))
    errors, warnings = len(result.errors), len(result.warnings)
    if result.failed:
        console.print(f"[red]✗ the import failed; nothing was written[/] ({errors} errors)")
    elif errors:
        console.print(f"[red]✗ {errors:,} errors, {warnings:,} warnings; nothing was written[/]")
    elif result.dry_run:
        console.print(f"[green]✓ valid[/] ({warnings:,} warnings); --dry-run: nothing was written")
    elif committed:
        t = result.totals()
        console.print(f"[green]✓ imported[/] {t.created:,} created, {t.updated:,} updated, {t.unchanged:,} "
                      f"unchanged in {result.seconds:.1f}s ({warnings:,} warnings)")
    if report is not None:
        console.print(f"issues written to {report}")


@app.command("export")
def export(
    entity: Annotated[str, typer.Argument(help=f"What to export: {ENTITY_HELP}.")],
    fmt: Annotated[str | None, typer.Option("--format", help="csv or xlsx (default: from --out, else csv).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="File to write (CSV goes to stdout without it).")] = None,
    field_names: Annotated[bool, typer.Option(
        "--field-names", help="English field names and codes as headers/values instead of Chinese labels.")] = False,
) -> None:
    """Export an entity in the columns its import reads, so the file imports back unchanged."""
    try:
        spec = entity_spec(entity)
    except KeyError as exc:
        fail(str(exc.args[0]), EXIT_BAD_INPUT)
    fmt = (fmt or (out.suffix.lstrip(".") if out is not None and out.suffix else "csv")).lower()
    if fmt not in ("csv", "xlsx"):
        fail(f"unknown format {fmt!r}", EXIT_BAD_INPUT, "use --format csv or --format xlsx")
    if fmt == "xlsx" and out is None:
        fail("an .xlsx export needs --out FILE", EXIT_BAD_INPUT, f"chanli export {spec.name} --out {spec.name}.xlsx")
    style = "field" if field_names else "zh"
    try:
        with container().read() as s:
            headers, rows = export_table(s, spec.name, SYSTEM_PRINCIPAL, style=style, for_xlsx=fmt == "xlsx")
            if fmt == "xlsx":
                assert out is not None
                n = write_xlsx(headers, rows, out, spec.label)
            elif out is None:
                n = write_csv(headers, rows, sys.stdout)
                sys.stdout.flush()
            else:
                with out.open("w", encoding="utf-8-sig", newline="") as f:  # the BOM lets Excel read UTF-8
                    n = write_csv(headers, rows, f)
    except SQLAlchemyError as exc:
        fail(f"the store failed: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}", EXIT_FAILED,
             "is the schema up to date? run: chanli db upgrade")
    if out is not None:
        err_console.print(f"[green]✓[/] {n:,} {spec.name} rows written to {out}")
