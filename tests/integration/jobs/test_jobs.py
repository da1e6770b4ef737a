"""Timed jobs: idempotent, one runner at a time on PostgreSQL, clear errors for unknown names,
and an interval job can be woken to run now."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from chanli.jobs import JOBS, JobBusy, run_job, start_scheduler, wake
from tests.factories import Org

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def test_nightly_grading_is_idempotent(store) -> None:  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        Org(uow)
        uow.commit()
    first = run_job(store, "process.regrade", NOW)
    second = run_job(store, "process.regrade", NOW)
    assert first["graded"] == 2 and first["changed"] == 2
    assert second == {"graded": 2, "changed": 0}


def test_interval_jobs_run_cleanly_on_an_idle_store(store) -> None:  # type: ignore[no-untyped-def]
    assert run_job(store, "routing.sla_sweep", NOW) == {"rerouted": 0}
    assert run_job(store, "approvals.escalate", NOW) == {"escalated": 0}
    skipped = run_job(store, "insight.churn_score", NOW)
    assert (skipped["scored"], skipped["raised"]) == (0, 0) and "no churn model" in skipped["note"]
    assert run_job(store, "integrations.robots", NOW) == {"sent": 0, "retrying": 0, "failed": 0}


@pytest.mark.postgres
def test_a_job_already_running_elsewhere_is_not_run_twice(pg_store) -> None:  # type: ignore[no-untyped-def]
    store = pg_store
    key = zlib.crc32(b"approvals.escalate")
    with store.engine.connect() as other, other.begin():
        other.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        with pytest.raises(JobBusy, match="already running"):
            run_job(store, "approvals.escalate", NOW)
    assert run_job(store, "approvals.escalate", NOW) == {"escalated": 0}


def test_unknown_jobs_are_named_with_the_known_ones(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyError, match=r"known: routing\.sla_sweep"):
        run_job(sqlite_store, "nope")
    names = {j.name for j in JOBS}
    assert names == {
        "routing.sla_sweep", "approvals.escalate", "process.regrade", "insight.churn_score", "integrations.robots"}


def test_waking_an_interval_job_runs_it_now_instead_of_at_its_next_tick(sqlite_store) -> None:  # type: ignore[no-untyped-def]
    scheduler = start_scheduler(sqlite_store)
    try:
        job = scheduler.get_job("integrations.robots")
        assert job.next_run_time > datetime.now(UTC) + timedelta(seconds=30)  # the first tick: a minute away
        wake(scheduler, "integrations.robots")
        assert scheduler.get_job("integrations.robots").next_run_time <= datetime.now(UTC) + timedelta(seconds=1)
    finally:
        scheduler.shutdown(wait=True)
