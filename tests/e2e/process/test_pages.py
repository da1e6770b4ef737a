"""The process pages through the real app: kanban with gate feedback, the opportunity's
checklist and SPIN form, the approvals inbox, and the routing rules editor's simulation."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from chanli.bootstrap import Container, create_app
from tests.e2e.process.conftest import seed_territories
from tests.e2e.web.conftest import Pipeline, login, seed_pipeline

HTMX = {"HX-Request": "true"}


@pytest.fixture
def web(sqlite_store: Container) -> tuple[TestClient, Pipeline]:
    with sqlite_store.uow() as uow:
        p = seed_pipeline(uow)
        seed_territories(uow, p)
        uow.commit()
    return TestClient(create_app(sqlite_store), follow_redirects=False), p


def _column_cards(page: str, key: str) -> list[str]:
    col = re.search(rf'data-testid="column-{key}">(.*?)</section>', page, re.S)
    assert col is not None
    return re.findall(r'class="pr-card-name">([^<]+)<', col.group(1))


def test_the_kanban_shows_the_playbook_columns_in_chinese(web: tuple[TestClient, Pipeline]) -> None:
    client, _ = web
    login(client, "admin")
    page = client.get("/process").text
    assert "标准销售流程" in page
    assert [_column_cards(page, k) for k in ("discovery", "proposal", "negotiation")] == [
        ["上海数据平台"], ["杭州门店系统"], ["北京集团采购"]]
    assert "推进到 方案 →" in page


def test_moving_a_card_without_the_deliverable_answers_with_the_missing_items(web: tuple[TestClient, Pipeline]) -> None:
    client, p = web
    login(client, "sh1")
    r = client.post(f"/process/opportunities/{p.sh_platform}/move", data={"to_stage": "proposal"}, headers=HTMX)
    assert r.status_code == 200
    items = re.findall(r'<li data-kind="(\w+)" data-key="(\w+)">([^<]+)</li>', r.text)
    assert items[0] == ("deliverable", "needs_analysis", "缺少交付物《客户需求分析模板》（需求挖掘）")
    assert len(items) == 5
    assert 'data-testid="override-form"' not in r.text  # a rep may not override


def test_a_manager_sees_the_override_form_and_overriding_moves_the_card(web: tuple[TestClient, Pipeline]) -> None:
    client, p = web
    login(client, "east_mgr")
    r = client.post(f"/process/opportunities/{p.sh_platform}/move", data={"to_stage": "proposal"}, headers=HTMX)
    assert 'data-testid="override-form"' in r.text
    done = client.post(f"/process/opportunities/{p.sh_platform}/move",
                       data={"to_stage": "proposal", "override_reason": "客户高层已拍板"})
    assert (done.status_code, done.headers["location"]) == (303, "/process")
    assert _column_cards(client.get("/process").text, "proposal") == ["杭州门店系统", "上海数据平台"]


def test_the_opportunity_page_ticks_the_deliverable_saves_spin_and_opens_the_gate(
    web: tuple[TestClient, Pipeline],
) -> None:
    client, p = web
    login(client, "sh1")
    url = f"/process/opportunities/{p.sh_platform}"
    page = client.get(url).text
    assert "《客户需求分析模板》" in page
    assert 'data-testid="gate-preview"' in page
    ticked = client.post(f"{url}/tick", data={"stage_key": "discovery", "item_kind": "deliverable",
                                              "item_key": "needs_analysis", "note": "共享盘/需求.docx"})
    assert ticked.status_code == 303
    answers = {f"spin_{k}": "已了解" for k in ("s1", "p1", "i1", "n1")}
    assert client.post(f"{url}/spin", data=answers).headers["location"] == f"{url}?saved=spin"
    page = client.get(url).text
    assert 'data-testid="gate-ok"' in page
    assert "共享盘/需求.docx" in page


def test_the_approvals_inbox_lets_the_manager_approve(web: tuple[TestClient, Pipeline]) -> None:
    client, p = web
    api = TestClient(client.app)
    token = api.post("/api/v1/auth/token", data={"username": "sh1", "password": "test-pass-123"}).json()
    r = api.post("/api/v1/process/orders", headers={"Authorization": f"Bearer {token['access_token']}"}, json={
        "account_id": p.org.acc_sh1, "owner_id": p.org.sh1, "signed_on": "2026-11-20",
        "lines": [{"quantity": "1", "list_price": "400000.00", "discount_rate": "0.12"}]})
    [approval_id] = r.json()["approval_ids"]
    login(client, "east_mgr")
    inbox = client.get("/process/approvals").text
    assert f'data-testid="approve-{approval_id}"' in inbox
    assert 'data-testid="pending-count">1<' in inbox
    done = client.post(f"/process/approvals/{approval_id}/approve", data={"comment": "同意"})
    assert done.status_code == 303
    assert "没有待你审批的事项。" in client.get("/process/approvals").text


def test_the_routing_editor_simulates_last_months_leads(web: tuple[TestClient, Pipeline]) -> None:
    client, _ = web
    login(client, "ops")
    page = client.get("/process/routing").text
    assert "公司默认规则" in page
    r = client.post("/process/routing/simulate", headers=HTMX, data={
        "steps": "territory", "chooser": "round_robin", "high_score": "80", "low_score": "20", "cap_new": "20",
        "cap_core": "30", "cap_elite": "40", "sla_hours": "24", "start": "2026-10-01", "end": "2026-11-01"})
    assert r.status_code == 200
    assert "模拟：2026-10-01 至 2026-11-01 共 2 条线索" in r.text
    assert "已分配 2" in r.text
    saved = client.post("/process/routing", data={"steps": "account_owner,territory", "chooser": "round_robin",
                                                   "high_score": "85", "low_score": "10", "cap_new": "10",
                                                   "cap_core": "20", "cap_elite": "30", "sla_hours": "8"})
    assert saved.headers["location"] == "/process/routing?saved=1"
    assert 'name="sla_hours" type="number" min="1" value="8"' in client.get("/process/routing").text


def test_a_team_gets_its_own_routing_policy_its_subteams_inherit_it_and_others_keep_the_default(
    web: tuple[TestClient, Pipeline],
) -> None:
    client, p = web
    login(client, "ops")

    def sla(team: int | None) -> str:
        page = client.get("/process/routing" + (f"?team={team}" if team else "")).text
        found = re.search(r'name="sla_hours" type="number" min="1" value="(\d+)"', page)
        assert found is not None
        return found.group(1)

    assert "华东大区" in client.get("/process/routing").text  # the team picker
    before = client.get(f"/process/routing?team={p.org.east}").text
    assert "保存本团队自己的规则之前，沿用公司默认规则。" in before
    form = {"team_id": str(p.org.east), "steps": "territory", "chooser": "capacity", "high_score": "90",
            "low_score": "30", "cap_new": "5", "cap_core": "10", "cap_elite": "15", "sla_hours": "4"}
    saved = client.post("/process/routing", data=form)
    assert saved.headers["location"] == f"/process/routing?team={p.org.east}&saved=1"
    assert 'data-testid="inherited"' not in client.get(f"/process/routing?team={p.org.east}").text
    assert (sla(p.org.east), sla(p.org.shanghai), sla(p.org.beijing), sla(None)) == ("4", "4", "24", "24")
    assert "沿用 华东大区 的规则" in client.get(f"/process/routing?team={p.org.shanghai}").text


def test_stage_analytics_show_days_per_stage_and_actions_that_go_with_winning(
    web: tuple[TestClient, Pipeline],
) -> None:
    client, _ = web
    login(client, "east_mgr")
    page = client.get("/process/analytics")
    assert page.status_code == 200
    assert "阶段分析" in page.text and "标准动作与赢单" in page.text
    rows = dict(re.findall(r'<tr data-stage="(\w+)"><td>[^<]+</td><td class="num">(\d+)</td>', page.text))
    assert list(rows) == ["lead_capture", "grading", "discovery", "proposal", "negotiation", "contract"]
    assert sum(int(n) for n in rows.values()) >= 1, "the seeded deals' stage history is counted"
