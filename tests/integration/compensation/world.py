"""The compensation world shared by integration and end-to-end tests: the two-region company of
``tests.factories.Org``, approved quarterly won-revenue targets for its reps (the quotas), and the
sample plan (base by tier, bonus curve gated by collection, 3/5/8% tiers, mentor override,
lightning awards, clawbacks) published and assigned to the rep role.

| rep  | tier  | team   | quota per month (2026-Q4) |
|------|-------|--------|---------------------------|
| 张三 sh1 | core  | 上海一组 | ¥100,000                |
| 李四 sh2 | new   | 上海一组 | ¥100,000                |
| 钱五 hz1 | elite | 杭州组   | ¥100,000                |
| 孙六 bj1 | core  | 北京组   | ¥100,000                |

``Org`` already booked 张三 ¥120,000 (2026-10-15) and 孙六 ¥80,000 (2026-10-15).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from chanli.bootstrap import Container
from chanli.compensation import queries, sample, service
from chanli.core.auth import Principal
from chanli.core.db import Actor, UnitOfWork
from chanli.org import queries as org_queries
from chanli.org import service as org_service
from chanli.targets import DecompositionMethod, OwnerKind, OwnerRef, PlanRequest, TargetStatus
from chanli.targets import service as target_service
from tests.factories import Org

PLAN = "sales-standard"


@dataclass
class CompWorld:
    store: Container
    org: Org

    def principal(self, username: str) -> Principal:
        with self.store.read() as s:
            user = org_queries.user_by_username(s, username)
            assert user is not None
            return org_service.principal_for_user(s, user)

    def uow(self, username: str = "comp") -> UnitOfWork:
        p = self.principal(username)
        return self.store.uow(Actor(p.user_id, p.display_name))

    def act(self, username: str, fn: Any, *args: Any, **kw: Any) -> Any:
        """Call ``fn(uow, principal, *args)`` as ``username`` and commit."""
        with self.uow(username) as uow:
            out = fn(uow, self.principal(username), *args, **kw)
            uow.commit()
        return out

    def run(self, period: str, username: str = "comp", **kw: Any) -> service.RunOutcome:
        return self.act(username, service.run_period, PLAN, period, **kw)

    def approve(self, period: str) -> service.RunOutcome:
        """Run, submit (comp) and approve (finance): the period locks."""
        out = self.run(period)
        self.act("comp", service.submit_run, out.run_id)
        self.act("finance", service.approve_run, out.run_id)
        return out

    def statement(self, run_id: int, person_id: int) -> queries.StatementDetail:
        with self.store.read() as s:
            rows = queries.list_statements(s, self.principal("admin"), run_id=run_id, person_id=person_id)
            assert len(rows) == 1, rows
            detail = queries.get_statement(s, self.principal("admin"), rows[0].id)
        assert detail is not None
        return detail

    def amounts(self, run_id: int, person_id: int) -> dict[str, Decimal]:
        """component (or kind for adjustments) → amount on a person's statement."""
        out: dict[str, Decimal] = {}
        for ln in self.statement(run_id, person_id).lines:
            key = ln.kind if ln.kind in ("retro_adjustment", "dispute_adjustment") else ln.component_id
            out[key] = out.get(key, Decimal("0.00")) + ln.amount
        return out


def quarter_quota(uow: UnitOfWork, principal: Principal, person_id: int, value: str = "300000") -> int:
    """An approved 2026-Q4 won-revenue target for one person, split equally by month."""
    preview = target_service.create_plan(
        uow,
        principal,
        PlanRequest(
            "won_revenue",
            "2026-Q4",
            Decimal(value),
            OwnerRef(OwnerKind.PERSON, person_id),
            DecompositionMethod.EQUAL,
            DecompositionMethod.EQUAL,
            grains=("month",),
        ),
    )
    assert preview.plan_id is not None
    target_service.transition_plan(uow, principal, preview.plan_id, TargetStatus.APPROVED)
    return preview.plan_id


def build_world(store: Container) -> CompWorld:
    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    world = CompWorld(store, org)
    with world.uow("admin") as uow:
        admin = world.principal("admin")
        for pid in (org.sh1, org.sh2, org.hz1, org.bj1):
            quarter_quota(uow, admin, pid)
        uow.commit()
    world.act("comp", lambda uow, p: sample.install_sample_plan(uow, p))
    return world


def d(text: str) -> Decimal:
    return Decimal(text)


OCT = "2026-10"
NOV = "2026-11"
DEC = "2026-12"
OCT_20 = date(2026, 10, 20)
