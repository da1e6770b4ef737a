"""Fixtures for the page tests: the two-region company of ``tests.factories.Org`` with a small
pipeline on top (named deals, leads, a mentorship, a stage move and a visit), and a
TestClient on the real app for each store."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from chanli.bootstrap import Container, create_app
from chanli.core.db import UnitOfWork
from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.crm.model import Stage
from chanli.org import service as org_service
from tests.factories import PASSWORD, Org, create_account, create_lead, mentorship


@dataclass(frozen=True)
class Pipeline:
    """What the page tests look at, on top of ``Org``.

    | deal           | owner | team   | stage        | amount    |
    |----------------|-------|--------|--------------|-----------|
    | 上海数据平台    | 张三  | 上海一组 | discovery    | 300000.00 |
    | 上海续约        | 张三  | 上海一组 | proposal→won | 50000.00  |
    | 杭州门店系统    | 钱五  | 杭州组   | proposal     | 180000.00 |
    | 北京集团采购    | 孙六  | 北京组   | negotiation  | 500000.00 |

    Leads: 张三 has one from 官网 (new), 孙六 one from 展会 (contacted). Accounts: 上海客户甲 and
    上海客户丁 (张三; 丁 is grade A), 杭州客户丙 (钱五, grade B), 北京客户乙 (孙六). 钱五 mentors 李四.
    """

    org: Org
    sh_platform: int
    sh_renewal: int
    hz_stores: int
    bj_group: int
    acc_hz1: int
    acc_sh1_a: int
    lead_sh1: int
    lead_bj1: int


def _deal(uow: UnitOfWork, name: str, owner: int, account: int | None, stage: Stage, amount: str) -> int:
    draft = crm.OpportunityDraft(
        name=name, created_on=date(2026, 8, 3), owner_id=owner, account_id=account, stage=stage.value,
        amount=Decimal(amount), probability=crm.DEFAULT_PROBABILITY[stage], expected_close=date(2026, 12, 20),
        external_id=f"OPP-{name}",
    )
    return crm_service.upsert_opportunities(uow, [draft]).ids[0]


def seed_pipeline(uow: UnitOfWork) -> Pipeline:
    org = Org(uow)
    acc_hz1 = create_account(uow, org.hz1, "杭州客户丙", grade="B")
    acc_sh1_a = create_account(uow, org.sh1, "上海客户丁", grade="A")
    sh_platform = _deal(uow, "上海数据平台", org.sh1, org.acc_sh1, Stage.DISCOVERY, "300000.00")
    sh_renewal = _deal(uow, "上海续约", org.sh1, org.acc_sh1, Stage.PROPOSAL, "50000.00")
    crm_service.move_stage(uow, sh_renewal, Stage.WON, at=datetime(2026, 10, 12, 6, 30, tzinfo=UTC),
                           note="客户签字")
    hz_stores = _deal(uow, "杭州门店系统", org.hz1, acc_hz1, Stage.PROPOSAL, "180000.00")
    bj_group = _deal(uow, "北京集团采购", org.bj1, org.acc_bj1, Stage.NEGOTIATION, "500000.00")
    crm_service.upsert_activities(uow, [crm.ActivityDraft(
        kind="visit", person_id=org.sh1, started_at=datetime(2026, 9, 10, 2, 0, tzinfo=UTC), duration_min=90,
        opportunity_id=sh_platform, account_id=org.acc_sh1, outcome="确认预算", external_id="ACT-1")])
    lead_sh1 = create_lead(uow, org.sh1, company_name="浦东线索公司", source="官网")
    lead_bj1 = create_lead(uow, org.bj1, company_name="朝阳线索公司", source="展会", status="contacted")
    org_service.add_mentorship(uow, mentorship(org.hz1, org.sh2))
    return Pipeline(org, sh_platform, sh_renewal, hz_stores, bj_group, acc_hz1, acc_sh1_a, lead_sh1, lead_bj1)


@pytest.fixture
def pipeline(store: Container) -> Pipeline:
    with store.uow() as uow:
        seeded = seed_pipeline(uow)
        uow.commit()
    return seeded


@pytest.fixture
def client(store: Container) -> Iterator[TestClient]:
    with TestClient(create_app(store), follow_redirects=False) as c:
        yield c


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    """Log in through the page form, as a person would; the session cookie stays on ``client``."""
    response = client.post("/login", data={"username": username, "password": password, "next": "/"})
    assert response.status_code == 303, response.text


def table_rows(page: str, testid: str) -> list[list[str]]:
    """The text of each body row's cells in the table ``data-testid=testid`` of a rendered page."""
    table = re.search(rf'<table[^>]*data-testid="{testid}"[^>]*>(.*?)</table>', page, re.S)
    assert table is not None, f"no table {testid!r} on the page"
    body = re.search(r"<tbody>(.*?)</tbody>", table.group(1), re.S)
    assert body is not None
    return [
        [_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]


def _text(fragment: str) -> str:
    """Visible text of an HTML fragment, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def first_column(page: str, testid: str) -> list[str]:
    """The first cell of each row (the name column of every list)."""
    return [cells[0] for cells in table_rows(page, testid)]
