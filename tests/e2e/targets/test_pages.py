"""The targets pages through the real app (embedded SQLite store): the planner's grid and its
HTMX inline edit, the rep's own targets, the team board and the OKR tree — Chinese first."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from chanli.bootstrap import Container, create_app
from chanli.targets import PlanRequest, queries, service
from tests.factories import PASSWORD, Org


@pytest.fixture
def site(sqlite_store: Container) -> Iterator[tuple[TestClient, Org, int]]:
    """The two-region company with an equal Q4 plan of 600,000 (张三's October: 25,000)."""
    with sqlite_store.uow() as uow:
        org = Org(uow)
        preview = service.create_plan(
            uow, queries.SYSTEM_PRINCIPAL, PlanRequest("won_revenue", "2026-Q4", Decimal("600000"), grains=("month",))
        )
        uow.commit()
    assert preview.plan_id is not None
    with TestClient(create_app(sqlite_store), follow_redirects=False) as client:
        yield client, org, preview.plan_id


def login(client: TestClient, username: str) -> None:
    r = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/"})
    assert r.status_code == 303, r.text


def cell(page: str, owner: str, period: str) -> tuple[str, str]:
    """(target id, visible text) of one grid cell."""
    row = re.search(rf'<tr data-owner="{owner}".*?</tr>', page, re.S)
    assert row is not None, owner
    td = re.search(rf'<td[^>]*data-target-id="(\d+)" data-period="{period}"[^>]*>(.*?)</td>', row.group(0), re.S)
    assert td is not None, period
    return td.group(1), re.sub(r"<[^>]+>", "", td.group(2)).strip()


def test_a_manager_sees_their_region_in_the_planner_and_edits_a_month_inline(site) -> None:  # type: ignore[no-untyped-def]
    client, org, plan_id = site
    assert client.get("/targets").status_code == 303
    login(client, "east_mgr")
    page = client.get(f"/targets?plan={plan_id}").text
    assert "目标规划" in page and 'data-nav="targets"' in page
    owners = re.findall(r'<tr data-owner="([^"]+)"', page)
    assert owners == [
        f"team:{org.east}",
        f"team:{org.shanghai}",
        f"person:{org.sh1}",
        f"person:{org.sh2}",
        f"team:{org.hangzhou}",
        f"person:{org.hz1}",
    ]
    target_id, text = cell(page, f"person:{org.sh1}", "2026-10")
    assert text == "¥25,000.00"

    form = client.get(f"/targets/cells/{target_id}/edit?value=25000.00&plan={plan_id}", headers={"HX-Request": "true"})
    assert 'hx-post="/targets/cells/' in form.text and 'value="25000.00"' in form.text
    saved = client.post(
        f"/targets/cells/{target_id}",
        data={"value": "30,000", "reason": "大客户", "plan": plan_id},
        headers={"HX-Request": "true"},
    )
    assert saved.status_code == 200
    assert saved.text.lstrip().startswith('<div id="planner-grid"')
    assert cell(saved.text, f"person:{org.sh1}", "2026-10") == (target_id, "¥30,000.00")
    assert cell(saved.text, f"person:{org.sh2}", "2026-10")[1] == "¥20,000.00"
    assert cell(saved.text, f"team:{org.shanghai}", "2026-10")[1] == "¥50,000.00"
    too_much = client.post(f"/targets/cells/{target_id}", data={"value": "60000", "plan": plan_id})
    assert "more than the parent" in too_much.text
    assert client.post(f"/targets/plans/{plan_id}/approve").status_code == 400  # a manager may not approve


def test_a_rep_sees_only_their_row_cannot_edit_and_gets_gauges_for_their_targets(site) -> None:  # type: ignore[no-untyped-def]
    client, org, plan_id = site
    login(client, "sh1")
    page = client.get(f"/targets?plan={plan_id}").text
    assert re.findall(r'<tr data-owner="([^"]+)"', page) == [f"person:{org.sh1}"]
    assert "tg-cell" not in page and 'data-testid="plan-form"' not in page
    me = client.get("/targets/me?as_of=2026-10-20").text
    assert 'id="gauge-won_revenue-0"' in me and "2026-Q4" in me
    assert re.search(r'data-testid="actual">¥120,000.00<', me)
    data = re.search(r'<script type="application/json" id="targets-data">(.*?)</script>', me, re.S)
    assert data is not None and '"target": "25000.00"' in data.group(1)
    board = client.get("/targets/board?period=2026-10&as_of=2026-10-20").text
    assert 'data-testid="team-actual">¥120,000.00<' in board


def test_the_okr_page_creates_objectives_and_checks_in_with_htmx_in_english_too(site) -> None:  # type: ignore[no-untyped-def]
    client, _, _ = site
    login(client, "east_mgr")
    assert (
        client.post("/okr/objectives", data={"layer": "campaign", "title": "华东冲刺", "period": "2026-Q4"}).status_code
        == 303
    )
    page = client.get("/okr").text
    oid = re.search(r'data-objective-id="(\d+)"', page)
    assert oid is not None and "战役级" in page
    assert (
        client.post(
            f"/okr/objectives/{oid.group(1)}/key-results",
            data={"title": "拜访标杆客户", "kind": "manual", "target_value": "10"},
        ).status_code
        == 303
    )
    page = client.get("/okr").text
    kr = re.search(r'data-kr-id="(\d+)"', page)
    assert kr is not None
    tree = client.post(
        f"/okr/key-results/{kr.group(1)}/check-in", data={"value": "4", "note": "四家"}, headers={"HX-Request": "true"}
    ).text
    assert tree.lstrip().startswith('<div id="okr-tree"')
    assert re.search(r'data-testid="objective-progress">40%<', tree)
    english = client.get("/okr?lang=en").text
    assert "Campaign" in english and "Add a key result" in english
