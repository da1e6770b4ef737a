"""``chanli insight …``: churn warnings (train, score, list), lead scoring, call analysis,
demand clustering, the market facts (import addressable accounts, competitor events,
marketing spend), and the funnel and forecast as tables or ``--json``; ``chanli bench
insight-store`` times the in-store work on the demo company.

A thin shell over ``chanli.insight``: it acts as the administrator (every change is still
audited, as ``cli``). Heavy libraries load only when a command runs, so ``chanli --help``
stays fast. Exit codes: 0 ok, 1 the work failed, 2 bad input.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.table import Table

from chanli.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, console, container, err_console, fail, print_json
from chanli.core.auth import Principal, Role
from chanli.core.db import Actor

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

__all__ = ["app", "bench_app"]

app = typer.Typer(
    help="Insight (洞察): churn warnings, lead scoring, call coaching, demand clusters, funnel and forecast.",
    no_args_is_help=True,
)
churn_app = typer.Typer(help="Churn-risk warnings (流失预警): train, score, list.", no_args_is_help=True)
leads_app = typer.Typer(help="Lead scoring (线索评分): train on decided leads, score new ones.", no_args_is_help=True)
calls_app = typer.Typer(help="Call analysis (通话洞察) for coaching.", no_args_is_help=True)
demand_app = typer.Typer(help="Demand clustering (需求聚类).", no_args_is_help=True)
market_app = typer.Typer(help="Market facts: addressable accounts, competitor events, marketing spend.",
                         no_args_is_help=True)
app.add_typer(churn_app, name="churn")
app.add_typer(leads_app, name="leads")
app.add_typer(calls_app, name="calls")
app.add_typer(demand_app, name="demand")
app.add_typer(market_app, name="market")
bench_app = typer.Typer(help="Benchmarks.", no_args_is_help=True)

CLI_ACTOR = Actor(user_id=None, name="cli")
CLI_PRINCIPAL = Principal(user_id=0, username="cli", display_name="cli", role=Role.ADMIN)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOfOption = Annotated[str | None, typer.Option("--as-of", help="Business date (default: today), e.g. 2026-11-01.")]
T = TypeVar("T")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--as-of must be a date like 2026-11-01, not {text!r}", EXIT_BAD_INPUT)


def _run(work: Callable[[], T]) -> T:
    """Bad input (a missing model, too little history, an invalid file) is exit 2 with the
    message; anything else propagates."""
    from chanli.core.issues import ValidationFailed
    from chanli.insight import InsightInputError, NotFound

    try:
        return work()
    except ValidationFailed as exc:
        for issue in exc.issues.errors[:20]:
            err_console.print(f"  {issue}")
        fail(str(exc), EXIT_BAD_INPUT)
    except (InsightInputError, NotFound) as exc:
        fail(str(exc), EXIT_BAD_INPUT)


@contextmanager
def _engine() -> Iterator[BaseBackend]:
    from chanli.insight import connect_store

    con = connect_store(container().settings.database_url)
    try:
        yield con
    finally:
        con.disconnect()


def _as_of(text: str | None) -> date:
    from chanli.insight import queries

    day = _day(text)
    if day is not None:
        return day
    with container().read() as s:
        return queries.today(s)


def _plain(value: Any) -> Any:
    from chanli.api.insight import plain

    return plain(value)


def _metrics_table(title: str, metrics: dict[str, Any]) -> None:
    table = Table("metric", "value", title=title)
    for k, v in metrics.items():
        table.add_row(k, str(v))
    console.print(table)


# --- churn ------------------------------------------------------------------------------------------


@churn_app.command("train")
def churn_train(
    as_of: AsOfOption = None,
    horizon: Annotated[int, typer.Option(min=7, max=365, help="Days ahead a renewal must fall due.")] = 90,
    out: Annotated[Path | None, typer.Option(help="Model folder root (default: CHANLI_MODEL_DIR).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Train the churn model on this company's account history; save it with its card."""
    from chanli.insight import service

    day = _as_of(as_of)
    with container().uow(CLI_ACTOR) as uow, _engine() as con:
        summary = _run(lambda: service.train_churn(uow, con, as_of=day, horizon_days=horizon,
                                                   model_dir=out or Path(container().settings.model_dir)))
        uow.commit()
    if json_out:
        print_json(_plain({"id": summary.id, "version": summary.version, "rows": summary.rows,
                           "metrics": summary.metrics, "folder": summary.folder}))
        return
    _metrics_table(f"流失模型 v{summary.version}: {summary.rows} 个账户快照", summary.metrics)
    console.print(f"模型说明卡: {summary.folder}/MODEL_CARD.md")


@churn_app.command("score")
def churn_score(
    as_of: AsOfOption = None,
    threshold: Annotated[float, typer.Option(min=0.01, max=0.99, help="Warn at or above this probability.")] = 0.5,
    json_out: JsonOption = False,
) -> None:
    """Score accounts with a renewal coming up; raise, refresh and settle warnings."""
    from chanli.insight import service

    day = _as_of(as_of)
    with container().uow(CLI_ACTOR) as uow, _engine() as con:
        result = _run(lambda: service.score_churn(uow, con, as_of=day, threshold=threshold))
        uow.commit()
    if json_out:
        print_json(_plain(result))
        return
    console.print(f"[green]✓[/] {day}: 评分 {result.scored} 个账户，新预警 {len(result.raised)}，"
                  f"更新 {result.refreshed}，已挽回 {result.settled_saved}，已流失 {result.settled_lost}")


@churn_app.command("warnings")
def churn_warnings(
    status: Annotated[str, typer.Option(help="active, open, in_progress, saved, lost or all.")] = "active",
    limit: Annotated[int, typer.Option(min=1)] = 50,
    json_out: JsonOption = False,
) -> None:
    """High-churn-risk warnings, riskiest first, with their top reasons and the save rate."""
    from chanli.insight import queries

    with container().read() as s:
        rows = queries.list_warnings(s, CLI_PRINCIPAL, status=None if status == "all" else status, limit=limit)
        rate = queries.save_rate(s, CLI_PRINCIPAL)
    if json_out:
        print_json(_plain({"warnings": rows, "save_rate": rate}))
        return
    table = Table("#", "客户", "负责人", "流失概率", "续约日", "状态", "主要原因",
                  title=f"高流失风险预警 ({len(rows)})  挽回率 {rate.rate if rate.rate is not None else '—'}")
    for w in rows:
        reasons = "；".join(f"{r['label']}={r['value']}" for r in w.reasons)
        table.add_row(str(w.id), w.account_name, w.owner_name or "—", f"{float(w.probability):.0%}",
                      str(w.renewal_due_on or "—"), w.status, reasons)
    console.print(table)


# --- leads, calls, demand ------------------------------------------------------------------------------


@leads_app.command("train")
def leads_train(
    as_of: AsOfOption = None,
    out: Annotated[Path | None, typer.Option(help="Model folder root (default: CHANLI_MODEL_DIR).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Train lead scoring on this company's decided leads; save it with its card."""
    from chanli.insight import service

    day = _as_of(as_of)
    with container().uow(CLI_ACTOR) as uow:
        summary = _run(lambda: service.train_leads(uow, as_of=day,
                                                   model_dir=out or Path(container().settings.model_dir)))
        uow.commit()
    if json_out:
        print_json(_plain({"id": summary.id, "version": summary.version, "rows": summary.rows,
                           "metrics": summary.metrics, "folder": summary.folder}))
        return
    _metrics_table(f"线索评分模型 v{summary.version}: {summary.rows} 条线索", summary.metrics)


@leads_app.command("score")
def leads_score(
    rescore: Annotated[bool, typer.Option("--rescore", help="Score every lead again, not only unscored ones.")] = False,
    json_out: JsonOption = False,
) -> None:
    """Write leads.score (0–100) with the active lead model; routing reads it."""
    from chanli.insight import service

    with container().uow(CLI_ACTOR) as uow:
        n = service.score_leads(uow, rescore=rescore)
        uow.commit()
    if json_out:
        print_json({"scored": n})
    elif n == 0:
        console.print("没有需要评分的线索（或尚未训练线索评分模型：chanli insight leads train）")
    else:
        console.print(f"[green]✓[/] 已为 {n} 条线索评分")


@calls_app.command("analyse")
def calls_analyse(
    reanalyse: Annotated[bool, typer.Option("--reanalyse", help="Analyse every call again.")] = False,
    model: Annotated[Path | None, typer.Option(help="A trained sentiment model folder (default: shipped).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Score every call transcript: utterance and call emotion, trajectory, keywords, topics,
    coaching suggestions; then print the per-rep coaching summary."""
    from chanli.insight import load_model, queries, service

    sentiment, version = None, "default-lexicon"
    if model is not None:
        sentiment, meta = _run(lambda: load_model(model, "sentiment"))
        version = f"{model.name} ({meta.trained_at})"
    with container().uow(CLI_ACTOR) as uow:
        done = service.analyse_calls(uow, model=sentiment, model_version=version, reanalyse=reanalyse)
        uow.commit()
    with container().read() as s, _engine() as con:
        reps = queries.coaching(s, CLI_PRINCIPAL, con)
    if json_out:
        print_json(_plain({"analysed": done, "reps": reps}))
        return
    console.print(f"[green]✓[/] 分析通话 {done.analysed} 通（空录音 {done.skipped_empty}），模型 {done.model_version}")
    table = Table("销售", "通话", "客户情绪", "消极通话", "高频话题", "辅导建议", title="按销售汇总的通话辅导")
    for r in reps[:30]:
        topics = "、".join(f"{name}×{n}" for _, name, n in r.topics[:3])
        table.add_row(r.name, str(r.calls), str(r.mean_customer_score), str(r.negative_calls), topics,
                      r.suggestions[0] if r.suggestions else "")
    console.print(table)


@demand_app.command("cluster")
def demand_cluster(
    k: Annotated[int | None, typer.Option(min=2, max=30, help="Clusters (default: chosen by silhouette).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Group customer needs from call transcripts and opportunity notes into named clusters."""
    from chanli.insight import service

    with container().uow(CLI_ACTOR) as uow:
        run = service.cluster_demand(uow, k=k)
        uow.commit()
    if json_out:
        print_json(_plain(run))
        return
    table = Table("需求群", "规模", title=f"需求聚类：{run.documents} 条需求")
    for name, size in run.clusters:
        table.add_row(name, str(size))
    console.print(table)


# --- market facts -------------------------------------------------------------------------------------


def _import(kind: str, file: Path) -> None:
    from chanli.insight import rules, service

    if not file.exists():
        fail(f"no such file: {file}", EXIT_BAD_INPUT)
    rows = rules.read_csv_bytes(file.read_bytes())
    work = {"markets": service.import_markets, "competitors": service.import_competitor_events,
            "spend": service.import_spend}[kind]
    with container().uow(CLI_ACTOR) as uow:
        result = _run(lambda: work(uow, CLI_PRINCIPAL, rows, file.name))
        uow.commit()
    n = len(result) if isinstance(result, list) else result
    console.print(f"[green]✓[/] {file.name}: {len(rows)} 行，已保存 {n}")


@market_app.command("import-markets")
def import_markets(file: Annotated[Path, typer.Argument(help="CSV: 大区, 行业, 可触达客户数 [, 来源]")]) -> None:
    """Addressable accounts per region and industry (all rows or none)."""
    _import("markets", file)


@market_app.command("import-competitors")
def import_competitors(file: Annotated[Path, typer.Argument(help="CSV: 竞争对手, 日期, 类型, 描述 [, 大区]")]) -> None:
    """Competitor events (降价/新品/促销/挖人/合作)."""
    _import("competitors", file)


@market_app.command("import-spend")
def import_spend(file: Annotated[Path, typer.Argument(help="CSV: 月份, 渠道, 金额 [, 活动]")]) -> None:
    """Marketing spend per month and lead channel."""
    _import("spend", file)


# --- funnel and forecast -------------------------------------------------------------------------------


@app.command("funnel")
def funnel(
    period: Annotated[str | None, typer.Option(help="2025, 2025-Q4 … (default: the last 12 months).")] = None,
    by: Annotated[str, typer.Option(help="all, rep, team, region or month.")] = "all",
    as_of: AsOfOption = None,
    json_out: JsonOption = False,
) -> None:
    """Stage conversion, stage days, win rate, velocity and leakage of the deals created in
    the period (set-based, in the store)."""
    from chanli.api.insight import period_span
    from chanli.insight import queries, rules

    if by not in rules.FUNNEL_FACETS:
        fail(f"--by must be one of {', '.join(rules.FUNNEL_FACETS)}", EXIT_BAD_INPUT)
    with container().read() as s, _engine() as con:
        start, end = _run(lambda: period_span(s, period, _day(as_of)))
        view = queries.funnel(s, CLI_PRINCIPAL, con, start, end, by)
    if json_out:
        print_json(_plain(view))
        return
    for g in view.groups:
        title = (f"{view.names.get(g.key, g.key)}: {g.deals} 个商机 {start}–{end}，赢单率 {g.win_rate}，"
                 f"平均周期 {g.avg_cycle_days} 天，速度 {g.velocity_per_day}/天")
        table = Table("阶段", "到达", "转化到下一阶段", "平均停留天数", title=title)
        for st in g.stages:
            table.add_row(st.stage, str(st.reached), str(st.conversion_to_next or "—"), str(st.avg_days or "—"))
        console.print(table)
        if g.leakage:
            console.print("流失原因: " + "，".join(f"{r.reason} {r.lost} 个 ¥{r.amount}" for r in g.leakage))


@app.command("forecast")
def forecast(
    period: Annotated[str | None, typer.Option(help="Period label (default: this quarter).")] = None,
    as_of: AsOfOption = None,
    json_out: JsonOption = False,
) -> None:
    """Won revenue per owner for the period: won to date, pipeline-weighted, history-based."""
    from chanli.api.insight import quarter_of
    from chanli.insight import queries

    day = _as_of(as_of)
    with container().read() as s:
        p = _run(lambda: quarter_of(s, period, day))
        rows = queries.forecast(s, CLI_PRINCIPAL, p, day)
    if json_out:
        print_json(_plain({"period": p.label, "as_of": day, "owners": rows}))
        return
    table = Table("负责人", "已赢单", "加权管道预测", "历史规律预测", "在手商机",
                  title=f"业绩预测 {p.label}（截至 {day}）")
    for r in rows:
        f = r.forecast
        table.add_row(r.name, str(f.won_to_date), str(f.pipeline_weighted), str(f.history_based), str(f.open_deals))
    console.print(table)


@app.command("models")
def models(json_out: JsonOption = False) -> None:
    """Models trained inside Chanli, with their metrics."""
    from chanli.insight import queries

    with container().read() as s:
        rows = queries.list_models(s)
    if json_out:
        print_json(_plain(rows))
        return
    table = Table("kind", "version", "active", "rows", "metrics", "folder")
    for m in rows:
        table.add_row(m.kind, str(m.version), "✓" if m.active else "", str(m.rows),
                      json.dumps(m.metrics, ensure_ascii=False)[:80], m.folder or "")
    console.print(table)


# --- bench ----------------------------------------------------------------------------------------------


@bench_app.command("insight-store")
def bench_insight_store(
    months: Annotated[int, typer.Option(min=6, max=24, help="Months of demo history to generate.")] = 12,
    json_out: JsonOption = False,
) -> None:
    """In-store insight work on a fresh demo company (temporary SQLite): churn features and
    training, scoring accounts/s, lead scoring rows/s, calls analysed/s, funnel and demand."""
    if not json_out:
        err_console.print(f"building a {months}-month demo company on a temporary SQLite store …")
    try:
        figures = _store_bench(months)
    except Exception as exc:  # a failed bench is a failed command, with the reason
        fail(f"bench failed: {exc}", EXIT_FAILED)
    from chanli.cli.bench import show

    show("chanli bench insight-store", figures, json_out)


def _store_bench(months: int) -> dict[str, Any]:
    """Composition (demo + insight), so it lives in the shell; each step timed once."""
    import tempfile
    import time
    from importlib import import_module

    from chanli.core.config import Settings
    from chanli.demo import DEMO_ACTOR, DemoSpec, build_demo
    from chanli.insight import batch, connect_store, queries, rules, service
    from chanli.schema import upgrade

    today = date(2026, 1, 1)
    figures: dict[str, Any] = {"months": months, "today": today.isoformat()}
    with tempfile.TemporaryDirectory(prefix="chanli-insight-bench-") as folder:
        bootstrap = import_module("chanli.bootstrap")  # the composition root, as ``common.container`` does
        c = bootstrap.build(Settings(environment="test", database_url=f"sqlite:///{folder}/bench.db",
                                     model_dir=Path(folder) / "models"))
        upgrade(c.engine)
        started = time.perf_counter()
        with c.uow(DEMO_ACTOR) as uow:
            build_demo(uow, DemoSpec(today=today, months=months))
            uow.commit()
        figures["demo_build_s"] = round(time.perf_counter() - started, 2)
        con = connect_store(c.settings.database_url)
        try:
            def timed(name: str, work: Callable[[], T]) -> T:
                t0 = time.perf_counter()
                out = work()
                figures[f"{name}_s"] = round(time.perf_counter() - t0, 3)
                return out

            snaps = rules.monthly_snapshots(date(today.year - 2, today.month, 1), today, 90)
            rows = timed("churn_features", lambda: batch.churn_features(con, snaps, training=True))
            figures["churn_training_rows"] = len(rows)
            with c.uow(CLI_ACTOR) as uow:
                model = timed("churn_train", lambda: service.train_churn(uow, con, as_of=today,
                                                                         model_dir=Path(folder) / "models"))
                scored = timed("churn_score", lambda: service.score_churn(uow, con, as_of=today))
                uow.commit()
            figures["churn_holdout_auc"] = model.metrics.get("holdout_auc")
            figures["churn_scored_accounts"] = scored.scored
            figures["churn_accounts_per_s"] = round(scored.scored / max(figures["churn_score_s"], 1e-9))
            with c.uow(CLI_ACTOR) as uow:
                lead = timed("lead_train", lambda: service.train_leads(uow, as_of=today))
                n = timed("lead_score", lambda: service.score_leads(uow, rescore=True))
                uow.commit()
            figures["lead_holdout_auc"] = lead.metrics.get("holdout_auc")
            figures["leads_scored_per_s"] = round(n / max(figures["lead_score_s"], 1e-9))
            with c.uow(CLI_ACTOR) as uow:
                calls = timed("calls_analyse", lambda: service.analyse_calls(uow))
                timed("demand_cluster", lambda: service.cluster_demand(uow))
                uow.commit()
            figures["calls_per_s"] = round(calls.analysed / max(figures["calls_analyse_s"], 1e-9))
            with c.read() as s:
                start = date(today.year - 1, today.month, 1)
                timed("funnel_by_rep", lambda: queries.funnel(s, CLI_PRINCIPAL, con, start, today, "rep"))
                timed("forecast", lambda: queries.forecast(s, CLI_PRINCIPAL, queries.calendar(s).parse("2025-Q4"),
                                                            date(2025, 11, 15)))
        finally:
            con.disconnect()
            c.engine.dispose()
    return figures
