"""Timed background work: the job table, one-shot runs and the in-process scheduler.

Why here (beside ``bootstrap``) and not in a capability: a job wires several capabilities to
the clock and to a store, which is composition, not domain logic. Every job is idempotent
(safe to retry, safe to run twice) and takes ``now`` explicitly, so tests pass a fixed time.

Single runner: on PostgreSQL each run takes a transaction-scoped advisory lock named after the
job, so several ``chanli serve`` processes (or a cron ``chanli jobs run``) never run the same
job at the same time; the embedded SQLite store is one process and needs no lock.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from chanli.core.db import Actor
from chanli.core.engine import connect_store

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from chanli.bootstrap import Container

__all__ = ["JOBS", "Job", "JobBusy", "run_job", "start_scheduler", "wake"]

log = logging.getLogger(__name__)
JOB_ACTOR = Actor(user_id=None, name="scheduler")


class JobBusy(RuntimeError):
    """Another process is running this job right now."""


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    description: str
    every_minutes: int | None = None  # interval jobs
    at_hour: int | None = None  # daily jobs, company-local hour (Asia/Shanghai)
    run: Callable[[Container, datetime], dict[str, Any]] | None = None


def _sla_sweep(c: Container, now: datetime) -> dict[str, Any]:
    from chanli.routing import service as routing_service

    with c.uow(JOB_ACTOR) as uow:
        _single_runner(uow.session, "routing.sla_sweep")
        breached = routing_service.sweep_sla(uow, now=now)
        uow.commit()
    return {"rerouted": len(breached)}


def _escalate(c: Container, now: datetime) -> dict[str, Any]:
    from chanli.process import service as process_service

    with c.uow(JOB_ACTOR) as uow:
        _single_runner(uow.session, "approvals.escalate")
        moved = process_service.escalate_overdue(uow, now=now)
        uow.commit()
    return {"escalated": len(moved)}


def _regrade(c: Container, now: datetime) -> dict[str, Any]:
    from chanli.process import service as process_service

    con = connect_store(c.settings.database_url)
    try:
        with c.uow(JOB_ACTOR) as uow:
            _single_runner(uow.session, "process.regrade")
            summary = process_service.regrade_all(uow, con, now=now)
            uow.commit()
    finally:
        con.disconnect()
    return {"graded": summary.graded, "changed": summary.changed}


def _churn_score(c: Container, now: datetime) -> dict[str, Any]:
    from chanli.core.periods import business_date
    from chanli.insight import InsightInputError
    from chanli.insight import service as insight_service

    con = connect_store(c.settings.database_url)
    try:
        with c.uow(JOB_ACTOR) as uow:
            _single_runner(uow.session, "insight.churn_score")
            try:
                scoring = insight_service.score_churn(uow, con, as_of=business_date(now))
            except InsightInputError as exc:  # no model trained yet: nothing to score, not a failure
                return {"scored": 0, "raised": 0, "note": str(exc)}
            uow.commit()
    finally:
        con.disconnect()
    return {"scored": scoring.scored, "raised": len(scoring.raised)}


def _robots(c: Container, now: datetime) -> dict[str, Any]:
    from chanli import integrations

    robots = integrations.robots_from_settings(c.settings.robots, timeout=c.settings.robot_timeout_s)
    with c.uow(JOB_ACTOR) as uow:
        _single_runner(uow.session, "integrations.robots")
        counts = integrations.service.send_pending(uow, robots, now=now)
        uow.commit()
    return counts


JOBS: tuple[Job, ...] = (
    Job("routing.sla_sweep", "re-route leads not first-contacted within their SLA", every_minutes=10, run=_sla_sweep),
    Job("approvals.escalate", "move overdue approval requests one level up", every_minutes=30, run=_escalate),
    Job("process.regrade", "recompute every account's A/B/C grade", at_hour=2, run=_regrade),
    Job("insight.churn_score", "score accounts for churn risk and raise warnings", at_hour=3, run=_churn_score),
    Job("integrations.robots", "post queued group-robot messages; retry the failed ones", every_minutes=1,
        run=_robots),
)


def _single_runner(session: Any, name: str) -> None:
    if session.get_bind().dialect.name != "postgresql":
        return
    key = zlib.crc32(name.encode())
    if not session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": key}).scalar():
        raise JobBusy(f"job {name} is already running in another process")


def job(name: str) -> Job:
    for j in JOBS:
        if j.name == name:
            return j
    raise KeyError(f"unknown job {name!r}; known: {', '.join(j.name for j in JOBS)}")


def run_job(container: Container, name: str, now: datetime | None = None) -> dict[str, Any]:
    """Run one job now (a cron entry or an operator can call this); returns its figures."""
    j = job(name)
    assert j.run is not None
    result = j.run(container, now or datetime.now(UTC))
    log.info("job %s: %s", name, result)
    return result


def start_scheduler(container: Container, time_zone: str = "Asia/Shanghai") -> BackgroundScheduler:
    """Start the in-process scheduler (embedded default). Failures are logged, never fatal:
    the next tick retries, and every job is idempotent."""
    from apscheduler.schedulers.background import BackgroundScheduler

    scheduler = BackgroundScheduler(timezone=time_zone, job_defaults={"coalesce": True, "max_instances": 1})

    def tick(name: str) -> None:
        try:
            run_job(container, name)
        except JobBusy as exc:
            log.info("%s", exc)
        except Exception:
            log.exception("job %s failed; it will run again at its next time", name)

    for j in JOBS:
        if j.every_minutes:
            scheduler.add_job(tick, "interval", minutes=j.every_minutes, args=[j.name], id=j.name)
        elif j.at_hour is not None:
            scheduler.add_job(tick, "cron", hour=j.at_hour, args=[j.name], id=j.name)
    scheduler.start()
    return scheduler


def wake(scheduler: BackgroundScheduler, name: str) -> None:
    """Run an interval job now instead of at its next tick (e.g. the robot outbox right after a
    commit queued a message). Never raises: the next tick runs it anyway."""
    try:
        scheduler.modify_job(name, next_run_time=datetime.now(UTC))
    except Exception:
        log.exception("could not wake job %s; it runs at its next tick", name)
