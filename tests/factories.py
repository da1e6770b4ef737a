"""One factory per entity. ``build_*`` makes a value without a database; ``create_*`` saves
through the capability services (never raw inserts), with sensible defaults so a test names
only what it is about."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from chanli.core.auth import Role, hash_password
from chanli.core.db import UnitOfWork
from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.org import JobRole, MentorshipTerms, PersonDraft, TeamDraft, TeamKind, Tier
from chanli.org import service as org_service

_seq = itertools.count(1)

PASSWORD = "test-pass-123"
_HASH: list[str] = []


def password_hash() -> str:
    """The argon2 hash of ``PASSWORD``, computed once: hashing is deliberately slow."""
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return _HASH[0]


def nxt() -> int:
    return next(_seq)


def create_team(
    uow: UnitOfWork,
    name: str | None = None,
    *,
    parent_id: int | None = None,
    kind: TeamKind = TeamKind.TEAM,
    external_id: str | None = None,
) -> int:
    team = org_service.create_team(
        uow, TeamDraft(name=name or f"团队{nxt()}", kind=kind, parent_id=parent_id, external_id=external_id)
    )
    return team.id


def create_person(
    uow: UnitOfWork,
    team_id: int | None,
    name: str | None = None,
    *,
    job_role: JobRole = JobRole.REP,
    tier: Tier = Tier.CORE,
    manager_id: int | None = None,
    hire_date: date = date(2024, 3, 1),
    external_id: str | None = None,
) -> int:
    person = org_service.create_person(
        uow,
        PersonDraft(
            name=name or f"销售{nxt()}",
            team_id=team_id,
            job_role=job_role,
            tier=tier,
            manager_id=manager_id,
            hire_date=hire_date,
            external_id=external_id,
        ),
    )
    return person.id


def create_user(uow: UnitOfWork, role: Role, person_id: int | None = None, username: str | None = None) -> str:
    username = username or f"{role.value}{nxt()}"
    org_service.add_user(
        uow,
        username=username,
        password=PASSWORD,
        role=role,
        person_id=person_id,
        display_name=username,
        password_hash=password_hash(),
    )
    return username


def create_account(uow: UnitOfWork, owner_id: int | None, name: str | None = None, **kw: Any) -> int:
    draft = crm.AccountDraft(
        name=name or f"客户{nxt()}", owner_id=owner_id, external_id=kw.pop("external_id", f"ACC-{nxt()}"), **kw
    )
    return crm_service.upsert_accounts(uow, [draft]).ids[0]


def create_order(
    uow: UnitOfWork,
    account_id: int,
    owner_id: int,
    amount: str | Decimal,
    *,
    signed_on: date = date(2026, 10, 15),
    status: str = "active",
) -> int:
    draft = crm.OrderDraft(
        account_id=account_id,
        owner_id=owner_id,
        signed_on=signed_on,
        status=status,
        lines=(crm.OrderLineDraft(quantity=Decimal(1), list_price=Decimal(amount)),),
        external_id=f"ORD-{nxt()}",
    )
    return crm_service.upsert_orders(uow, [draft]).ids[0]


def create_payment(uow: UnitOfWork, order_id: int, amount: str | Decimal, received_on: date) -> int:
    return crm_service.upsert_payments(
        uow,
        [
            crm.PaymentDraft(
                order_id=order_id, amount=Decimal(amount), received_on=received_on, external_id=f"PAY-{nxt()}"
            )
        ],
    ).ids[0]


def create_opportunity(
    uow: UnitOfWork,
    owner_id: int,
    account_id: int | None = None,
    *,
    amount: str = "100000",
    stage: str = "discovery",
    created_on: date = date(2026, 9, 1),
) -> int:
    draft = crm.OpportunityDraft(
        name=f"商机{nxt()}",
        created_on=created_on,
        owner_id=owner_id,
        account_id=account_id,
        stage=stage,
        amount=Decimal(amount),
        external_id=f"OPP-{nxt()}",
    )
    return crm_service.upsert_opportunities(uow, [draft]).ids[0]


def create_lead(uow: UnitOfWork, owner_id: int | None = None, **kw: Any) -> int:
    draft = crm.LeadDraft(
        company_name=kw.pop("company_name", f"线索公司{nxt()}"),
        received_at=kw.pop("received_at", datetime(2026, 10, 8, 2, 0, tzinfo=UTC)),
        owner_id=owner_id,
        external_id=f"LEAD-{nxt()}",
        **kw,
    )
    return crm_service.upsert_leads(uow, [draft]).ids[0]


def mentorship(mentor_id: int, apprentice_id: int, rate: str = "0.08") -> MentorshipTerms:
    return MentorshipTerms(mentor_id, apprentice_id, date(2026, 1, 1), date(2027, 1, 1), Decimal(rate))


class Org:
    """A small two-region company used by scoping tests.

    company ─┬─ 华东大区 (manager east_mgr) ─┬─ 上海一组 (rep sh1, sh2)
             │                            └─ 杭州组   (rep hz1)
             └─ 华北大区 (manager north_mgr) ── 北京组   (rep bj1)
    """

    def __init__(self, uow: UnitOfWork) -> None:
        self.company = create_team(uow, "产力科技", kind=TeamKind.COMPANY)
        self.east = create_team(uow, "华东大区", parent_id=self.company, kind=TeamKind.REGION)
        self.north = create_team(uow, "华北大区", parent_id=self.company, kind=TeamKind.REGION)
        self.shanghai = create_team(uow, "上海一组", parent_id=self.east)
        self.hangzhou = create_team(uow, "杭州组", parent_id=self.east)
        self.beijing = create_team(uow, "北京组", parent_id=self.north)
        self.east_mgr = create_person(uow, self.east, "王经理", job_role=JobRole.MANAGER)
        self.north_mgr = create_person(uow, self.north, "赵经理", job_role=JobRole.MANAGER)
        self.sh1 = create_person(uow, self.shanghai, "张三", manager_id=self.east_mgr)
        self.sh2 = create_person(uow, self.shanghai, "李四", manager_id=self.east_mgr, tier=Tier.NEW)
        self.hz1 = create_person(uow, self.hangzhou, "钱五", manager_id=self.east_mgr, tier=Tier.ELITE)
        self.bj1 = create_person(uow, self.beijing, "孙六", manager_id=self.north_mgr)
        self.users = {
            "admin": create_user(uow, Role.ADMIN, username="admin"),
            "ops": create_user(uow, Role.SALES_OPS, username="ops"),
            "comp": create_user(uow, Role.COMP_ADMIN, username="comp"),
            "finance": create_user(uow, Role.FINANCE, username="finance"),
            "east_mgr": create_user(uow, Role.MANAGER, self.east_mgr, username="east_mgr"),
            "north_mgr": create_user(uow, Role.MANAGER, self.north_mgr, username="north_mgr"),
            "sh1": create_user(uow, Role.REP, self.sh1, username="sh1"),
            "bj1": create_user(uow, Role.REP, self.bj1, username="bj1"),
        }
        self.acc_sh1 = create_account(uow, self.sh1, "上海客户甲")
        self.acc_bj1 = create_account(uow, self.bj1, "北京客户乙")
        self.order_sh1 = create_order(uow, self.acc_sh1, self.sh1, "120000.00")
        self.order_bj1 = create_order(uow, self.acc_bj1, self.bj1, "80000.00")
