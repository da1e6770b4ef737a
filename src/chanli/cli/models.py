"""``chanli models``: train, evaluate and score the insight models, and backtest the forecast.

A thin shell over ``chanli.insight``: parse options, call the lifecycle, print a Rich table or
``--json``. Heavy libraries (LightGBM, scikit-learn, jieba) load only when a command runs, so
``chanli --help`` stays fast. Exit codes: 0 ok, 1 the work failed, 2 bad usage or bad input.
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Callable
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Table

from chanli.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, console, fail, print_json

__all__ = ["app"]

app = typer.Typer(
    help="Insight models (churn risk, call emotion, lead scoring): train → evaluate → score, "
    "each saved with a MODEL_CARD.md; and the won-revenue forecast backtest.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

T = TypeVar("T")


class ModelKind(StrEnum):
    churn = "churn"
    sentiment = "sentiment"
    lead = "lead"


class BacktestKind(StrEnum):
    forecast = "forecast"


KindArgument = Annotated[ModelKind, typer.Argument(help="churn | sentiment | lead", case_sensitive=False)]
DataOption = Annotated[Path, typer.Option("--data", help="CSV file (lead: a CSV or the Olist folder).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
LabelOption = Annotated[
    str | None, typer.Option("--label-column", help="Label column (churn: Churn, sentiment: label, lead: converted).")
]
IdOption = Annotated[
    str | None, typer.Option("--id-column", help="Id column (default: first column whose name ends in 'id').")
]
TextOption = Annotated[str | None, typer.Option("--text-column", help="Text column for sentiment (default: review).")]


def _run(work: Callable[[], T]) -> T:
    """Run lifecycle work, turning its errors into the CLI's exit codes and messages."""
    from chanli.insight import InsightInputError, ModelError

    try:
        return work()
    except InsightInputError as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except (ModelError, OSError) as exc:
        fail(str(exc), EXIT_FAILED)


@app.command()
def train(
    kind: KindArgument,
    data: DataOption,
    out: Annotated[Path, typer.Option("--out", help="Folder to write model.joblib, model.json and MODEL_CARD.md.")],
    label_column: LabelOption = None,
    id_column: IdOption = None,
    text_column: TextOption = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Column never to use as a feature (repeatable).")
    ] = None,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (splits, bagging).")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Train a model on a labelled file and save it with its model card."""
    from chanli.insight import TrainOptions, train_model

    options = TrainOptions(label_column, id_column, text_column, tuple(exclude or ()), seed)
    with nullcontext() if as_json else console.status(f"training {kind.value} model…", spinner="dots"):
        outcome = _run(lambda: train_model(kind.value, data, out, options))
    meta = outcome.metadata
    if as_json:
        print_json(
            {
                "kind": meta.kind,
                "model": str(outcome.folder),
                "card": str(outcome.card),
                "metrics": meta.metrics,
                "notes": outcome.notes,
            }
        )
        return
    console.print(f"[green]saved[/] {meta.title} → {outcome.folder}  (card: {outcome.card.name})")
    console.print(f"data: {meta.data.name}, {meta.data.rows} rows, sha256 {meta.data.sha256[:12]}…")
    for note in outcome.notes:
        console.print(f"[yellow]note:[/] {note}")
    _print_metrics("validation", meta.metrics)


def _print_metrics(title: str, metrics: dict[str, Any]) -> None:
    table = Table(title=title)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, str(value))
    console.print(table)


@app.command()
def evaluate(
    kind: KindArgument,
    data: DataOption,
    model: Annotated[
        Path | None, typer.Option("--model", help="Saved model folder (sentiment: omit for the shipped default).")
    ] = None,
    label_column: LabelOption = None,
    text_column: TextOption = None,
    as_json: JsonOption = False,
) -> None:
    """Measure a saved model on labelled rows it has not seen (AUC/Brier or accuracy/macro-F1)."""
    from chanli.insight import TrainOptions, evaluate_model

    options = TrainOptions(label_column=label_column, text_column=text_column)
    metrics = _run(lambda: evaluate_model(kind.value, model, data, options))
    if as_json:
        print_json(metrics)
        return
    _print_metrics(f"{kind.value} on {data.name}", metrics)


@app.command()
def score(
    kind: KindArgument,
    data: DataOption,
    model: Annotated[
        Path | None, typer.Option("--model", help="Saved model folder (sentiment: omit for the shipped default).")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the scores to this CSV file.")] = None,
    text_column: TextOption = None,
    id_column: IdOption = None,
    top: Annotated[int, typer.Option("--top", min=0, max=20, help="Reasons per row.")] = 3,
    as_json: JsonOption = False,
) -> None:
    """Score rows with a saved model: probability (lead: 0–100 score) and top reasons per row."""
    from chanli.insight import TrainOptions, score_with_model

    options = TrainOptions(text_column=text_column, id_column=id_column)
    results = _run(lambda: score_with_model(kind.value, model, data, options, top))
    if out is not None:
        _run(lambda: _write_scores(out, results))
    if as_json:
        print_json(results)
        return
    if out is not None:
        console.print(f"[green]wrote[/] {len(results)} scores → {out}")
        return
    table = Table(title=f"{kind.value} scores ({len(results)} rows{', first 20' if len(results) > 20 else ''})")
    columns = [c for c in results[0] if c != "reasons"] if results else []
    for column in columns:
        table.add_column(column)
    if results and "reasons" in results[0]:
        table.add_column("reasons")
    for row in results[:20]:
        cells = [str(row[c]) for c in columns]
        if "reasons" in row:
            cells.append("; ".join(row["reasons"]))
        table.add_row(*cells)
    console.print(table)


def _write_scores(path: Path, results: list[dict[str, Any]]) -> None:
    if not results:
        path.write_text("", encoding="utf-8")
        return
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(results[0]))
        writer.writeheader()
        for row in results:
            writer.writerow({k: "; ".join(v) if isinstance(v, list) else v for k, v in row.items()})


def _parse_probabilities(values: list[str]) -> dict[str, float]:
    probabilities: dict[str, float] = {}
    for value in values:
        stage, _, number = value.partition("=")
        try:
            probability = float(number)
        except ValueError:
            fail(f"--stage-probability must look like Engaging=0.5, got {value!r}", EXIT_BAD_INPUT)
        if not stage or not 0 <= probability <= 1:
            fail(f"--stage-probability needs a stage name and a probability in [0, 1], got {value!r}", EXIT_BAD_INPUT)
        probabilities[stage] = probability
    return probabilities


@app.command()
def backtest(
    kind: Annotated[BacktestKind, typer.Argument(help="forecast")],
    data: Annotated[Path, typer.Option("--data", help="Folder with sales_pipeline.csv and products.csv.")],
    stage_probability: Annotated[
        list[str] | None,
        typer.Option(
            "--stage-probability", help="Pipeline-weighted stage probability, e.g. Engaging=0.5 (repeatable)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Replay each quarter: forecast won revenue as of its first day, compare with what was won."""
    from chanli.insight import DEFAULT_STAGE_PROBABILITIES, run_forecast_backtest

    probabilities = dict(DEFAULT_STAGE_PROBABILITIES)
    probabilities.update(_parse_probabilities(stage_probability or []))
    result = _run(lambda: run_forecast_backtest(data, probabilities))
    if as_json:
        print_json(result.as_dict())
        return
    methods = list(result.mape)
    table = Table(title=f"{kind.value} backtest: won revenue per quarter (forecast as of the quarter's first day)")
    table.add_column("quarter")
    table.add_column("open deals", justify="right")
    table.add_column("actual", justify="right")
    for method in methods:
        table.add_column(method, justify="right")
    for quarter in result.quarters:
        table.add_row(
            quarter.period,
            str(quarter.open_deals),
            f"{quarter.actual:,}",
            *(f"{quarter.forecasts[m]:,} ({quarter.errors[m]:.1%})" for m in methods),
        )
    table.add_row("MAPE", "", "", *(f"{result.mape[m]:.1%}" for m in methods), style="bold")
    table.add_row("owner WAPE", "", "", *(f"{result.owner_wape[m]:.1%}" for m in methods))
    console.print(table)
    for note in result.skipped:
        console.print(f"[dim]skipped {note}[/]")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(app())
