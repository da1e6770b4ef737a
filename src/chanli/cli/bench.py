"""``chanli bench``: performance figures measured as ratios against a baseline taken in the
same run (never timed assertions in unit tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from chanli.cli.common import console, print_json

__all__ = ["app"]

app = typer.Typer(help="Benchmarks: each prints its figures, or one JSON object with --json.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def show(title: str, figures: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(figures)
        return
    table = Table("figure", "value", title=title)
    for key, value in figures.items():
        if isinstance(value, dict):
            for sub, v in value.items():
                table.add_row(f"{key}.{sub}", str(v))
        else:
            table.add_row(key, str(value))
    console.print(table)


@app.command("import")
def bench_import(
    rows: Annotated[int, typer.Option(min=100, help="Rows of generated opportunities to import.")] = 100_000,
    json_out: JsonOption = False,
) -> None:
    """Import throughput (rows/s) and memory of a generated CSV, first load and re-import."""
    from chanli.exchange.bench import run_import_bench

    show("chanli bench import", run_import_bench(rows), json_out)


@app.command("insight")
def bench_insight(
    data: Annotated[Path | None, typer.Option(help="The shared datasets folder (default: synthetic data).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Training seconds and scoring rows/s of the insight models."""
    from chanli.insight.ml.bench import run_insight_bench

    show("chanli bench insight", run_insight_bench(data), json_out)
