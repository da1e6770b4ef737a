"""The store itself: migrations, audit log, unit of work, money columns — on both backends."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from chanli.core.audit import AuditEntry, AuditTampering, entries, record
from chanli.core.db import Actor, Base
from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.schema import current_revision, head_revision
from tests import factories as f


def test_migrations_reach_head_and_match_the_models_exactly(store):  # type: ignore[no-untyped-def]
    assert current_revision(store.engine) == head_revision(store.engine)
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert diff == [], f"models drifted from migrations: {diff}"


def test_audit_entries_cannot_be_edited_or_deleted(store):  # type: ignore[no-untyped-def]
    with store.uow(Actor(1, "审计员")) as uow:
        entry = record(uow.session, uow.actor, "test.act", "thing", 1, before={"a": 1}, after={"a": 2})
        uow.commit()
        entry_id = entry.id
    with store.uow() as uow:
        row = uow.session.get(AuditEntry, entry_id)
        assert row is not None
        row.action = "rewritten"
        with pytest.raises(AuditTampering):
            uow.session.flush()
    with store.uow() as uow:
        uow.session.delete(uow.session.get(AuditEntry, entry_id))
        with pytest.raises(AuditTampering):
            uow.session.flush()
    with store.read() as s:
        [kept] = entries(s, object_type="thing")
        assert (kept.action, kept.actor_name, kept.before, kept.after) == ("test.act", "审计员", {"a": 1}, {"a": 2})


def test_unit_of_work_keeps_nothing_unless_committed(store):  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        f.create_team(uow, "不会保存的团队")
    with store.read() as s:
        assert entries(s, object_type="team") == []


def test_events_are_delivered_only_after_commit(store):  # type: ignore[no-untyped-def]
    seen: list[str] = []
    store.bus.register(str, seen.append)
    with store.uow() as uow:
        uow.queue("rolled back")
    with store.uow() as uow:
        uow.queue("committed")
        assert seen == []
        uow.commit()
    assert seen == ["committed"]


def test_order_amounts_round_per_line_and_sum_exactly_to_the_fen(store):  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        team = f.create_team(uow)
        rep = f.create_person(uow, team)
        acc = f.create_account(uow, rep)
        lines = (
            crm.OrderLineDraft(quantity=Decimal(3), list_price=Decimal("33.33"), discount_rate=Decimal("0.125")),
            crm.OrderLineDraft(quantity=Decimal("1.5"), list_price=Decimal("19999.99"), discount_rate=Decimal("0.07")),
        )
        done = crm_service.upsert_orders(
            uow, [crm.OrderDraft(acc, rep, datetime(2026, 10, 9, tzinfo=UTC).date(), lines, external_id="O-1")]
        )
        uow.commit()
    from chanli.core.auth import Principal, Role
    from chanli.crm import queries

    with store.read() as s:
        order = queries.get_order(s, Principal(1, "a", "a", Role.ADMIN), done.ids[0])
    # 3 × 33.33 × 0.875 = 87.49125 → 87.49 ; 1.5 × 19999.99 × 0.93 = 27899.986… → 27899.99
    assert order is not None and order.net_amount == Decimal("27987.48")


def test_money_columns_refuse_float(store):  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        team = f.create_team(uow)
        rep = f.create_person(uow, team)
        with pytest.raises(Exception, match="float"):
            crm_service.upsert_accounts(uow, [crm.AccountDraft(name="x", owner_id=rep, annual_revenue=1.5)])  # type: ignore[arg-type]


def test_timestamps_come_back_timezone_aware_in_utc(store):  # type: ignore[no-untyped-def]
    with store.uow() as uow:
        lead_id = f.create_lead(uow, received_at=datetime(2026, 10, 8, 10, 30, tzinfo=UTC))
        uow.commit()
    from chanli.core.auth import Principal, Role
    from chanli.crm import queries

    with store.read() as s:
        [lead] = queries.list_leads(s, Principal(1, "a", "a", Role.ADMIN), ids=[lead_id])
    assert lead.received_at == datetime(2026, 10, 8, 10, 30, tzinfo=UTC)
    assert lead.received_at.tzinfo is not None
