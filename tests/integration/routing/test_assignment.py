"""Routing on a real store: batches are persisted with explanations and SLA deadlines, the
round-robin rotation survives between batches, the SLA sweep re-routes and notifies, and on
PostgreSQL two routers never double-assign."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from chanli.bootstrap import Container, build
from chanli.core.config import Settings
from chanli.org import service as org_service
from chanli.routing import LeadsAssigned, LeadSlaBreached, PolicyStep, RoutingPolicy, service
from chanli.routing.tables import LeadAssignment
from tests.conftest import _truncate_all
from tests.factories import Org, create_lead
from tests.unit.routing.test_engine import ADMIN

NOW = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)


def _seed(store: Container, leads: int) -> tuple[Org, list[int]]:
    with store.uow() as uow:
        org = Org(uow)
        org_service.upsert_territory(uow, code="EAST", name="华东", team_id=org.east, provinces=["上海"])
        ids = [create_lead(uow, province="上海", received_at=NOW - timedelta(minutes=leads - i)) for i in range(leads)]
        service.save_policy(uow, ADMIN, RoutingPolicy(steps=(PolicyStep.TERRITORY, PolicyStep.ROUND_ROBIN),
                                                     capacity_by_tier={"new": 1000, "core": 1000, "elite": 1000}))
        uow.commit()
    return org, ids


def _owners(store: Container, ids: list[int]) -> dict[int, int | None]:
    from chanli.crm import queries as crm_queries

    with store.read() as s:
        return {r["id"]: r["owner_id"] for r in crm_queries.export_rows(s, "lead") if r["id"] in set(ids)}


def test_a_batch_is_recorded_with_explanations_and_deadlines_and_the_rotation_carries_over(store: Container) -> None:
    org, ids = _seed(store, 7)
    delivered: list[object] = []
    store.bus.register(LeadsAssigned, delivered.append)
    with store.uow() as uow:
        first = service.assign_leads(uow, now=NOW, lead_ids=ids[:4])
        uow.commit()
    with store.uow() as uow:
        second = service.assign_leads(uow, now=NOW, lead_ids=ids[4:])
        uow.commit()
    people = [a.person_id for a in first.assignments + second.assignments]
    # the second batch continues the rotation where the first stopped (order from a hash, not ids)
    assert people == [org.sh2, org.hz1, org.sh1, org.sh2, org.hz1, org.sh1, org.sh2]
    with store.read() as s:
        rows = list(s.scalars(select(LeadAssignment).order_by(LeadAssignment.id)))
        assert len(rows) == 7
        assert rows[0].explanation.startswith("匹配区域 华东；轮询（华东）")
        assert rows[0].sla_due_at == NOW + timedelta(hours=24)
    assert [type(e) for e in delivered] == [LeadsAssigned, LeadsAssigned]
    again = None
    with store.uow() as uow:
        again = service.assign_leads(uow, now=NOW, lead_ids=ids)
        uow.commit()
    assert again.assignments == []
    assert again.skipped_locked == 7  # all owned already


def test_a_lead_not_contacted_in_time_is_rerouted_and_the_manager_told(store: Container) -> None:
    org, ids = _seed(store, 1)
    with store.uow() as uow:
        first = service.assign_leads(uow, now=NOW, lead_ids=ids).assignments[0]
        uow.commit()
    notified: list[LeadSlaBreached] = []
    store.bus.register(LeadSlaBreached, notified.append)
    with store.uow() as uow:
        assert service.sweep_sla(uow, now=NOW + timedelta(hours=23)) == []
        events = service.sweep_sla(uow, now=NOW + timedelta(hours=25))
        uow.commit()
    assert len(events) == 1
    ev = events[0]
    assert ev.previous_owner_id == first.person_id
    assert ev.new_owner_id not in (None, first.person_id)
    assert ev.manager_id == org.east_mgr
    assert notified == [ev]
    assert _owners(store, ids) == {ids[0]: ev.new_owner_id}
    with store.read() as s:
        rows = list(s.scalars(select(LeadAssignment).order_by(LeadAssignment.id)))
        assert [(r.kind, r.current, r.breached_at is not None) for r in rows] == [
            ("initial", False, True), ("sla_reroute", True, False)]
        assert rows[1].explanation.startswith("跳过超时未联系的")


@pytest.fixture
def pg_store(pg_database: str):  # type: ignore[no-untyped-def]
    container = build(Settings(environment="test", database_url=pg_database, secret_key="test-secret-" + "x" * 24))
    _truncate_all(container.engine)
    try:
        yield container
    finally:
        container.engine.dispose()


@pytest.mark.postgres
def test_two_routers_on_postgres_never_assign_the_same_lead_twice(pg_store: Container) -> None:
    """Router A locks the leads and holds its transaction open; router B, running meanwhile,
    skips the locked rows instead of waiting or taking them; A then commits."""
    _, ids = _seed(pg_store, 60)
    a_routed = threading.Event()
    b_done = threading.Event()
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def router_a() -> None:
        try:
            with pg_store.uow() as uow:
                results["a"] = len(service.assign_leads(uow, now=NOW, lead_ids=ids).assignments)
                a_routed.set()
                b_done.wait(10)
                uow.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
            a_routed.set()

    def router_b() -> None:
        try:
            a_routed.wait(10)
            with pg_store.uow() as uow:
                results["b"] = len(service.assign_leads(uow, now=NOW, lead_ids=ids).assignments)
                uow.commit()
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)
        finally:
            b_done.set()

    threads = [threading.Thread(target=router_a), threading.Thread(target=router_b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert results == {"a": 60, "b": 0}
    owners = _owners(pg_store, ids)
    assert None not in owners.values()
    with pg_store.read() as s:
        per_lead = dict(s.execute(select(LeadAssignment.lead_id, func.count()).group_by(LeadAssignment.lead_id)).all())
    assert set(per_lead.values()) == {1}
    assert len(per_lead) == 60


@pytest.mark.postgres
def test_concurrent_routers_split_a_backlog_without_overlap_on_postgres(pg_store: Container) -> None:
    """Two routers draining the whole backlog at the same moment each take a disjoint share."""
    _, ids = _seed(pg_store, 200)
    start = threading.Barrier(2)
    taken: dict[str, list[int]] = {}

    def router(name: str) -> None:
        start.wait()
        with pg_store.uow() as uow:
            taken[name] = [a.lead_id for a in service.assign_leads(uow, now=NOW, limit=120).assignments]
            uow.commit()

    threads = [threading.Thread(target=router, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert set(taken["a"]).isdisjoint(taken["b"])
    assert len(taken["a"]) + len(taken["b"]) == 200
    assert None not in _owners(pg_store, ids).values()
