"""The inbox through the API and the pages, on both stores: a rep reads their notices in
Chinese (or English), marks one or all read, cannot touch someone else's, and the bell in the
top bar shows the unread count on every page of a person's login."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from chanli.bootstrap import Container, create_app
from chanli.insight import ChurnRiskRaised
from tests.e2e.web.conftest import Pipeline, login, seed_pipeline
from tests.factories import PASSWORD


@pytest.fixture
def seeded(store: Container) -> Pipeline:
    """The page-test company; 张三 (sh1) has two churn warnings, 孙六 (bj1) one."""
    with store.uow() as uow:
        p = seed_pipeline(uow)
        uow.commit()
    o = p.org
    with store.uow() as uow:
        uow.queue(ChurnRiskRaised(1, o.acc_sh1, "上海客户甲", o.sh1, 0.81, ("近90天无拜访",), date(2026, 12, 1)))
        uow.queue(ChurnRiskRaised(2, p.acc_sh1_a, "上海客户丁", o.sh1, 0.66, ("回款逾期",), None))
        uow.queue(ChurnRiskRaised(3, o.acc_bj1, "北京客户乙", o.bj1, 0.7, (), None))
        uow.commit()
    return p


@pytest.fixture
def client(store: Container) -> Iterator[TestClient]:
    with TestClient(create_app(store), follow_redirects=False) as c:
        yield c


def _bearer(client: TestClient, username: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def test_the_api_lists_counts_and_marks_only_the_callers_own(client: TestClient, seeded: Pipeline) -> None:
    sh1, bj1 = _bearer(client, "sh1"), _bearer(client, "bj1")
    rows = client.get("/api/v1/notifications", headers=sh1).json()
    assert [(r["kind"], r["title"], r["text"], r["link"], r["read_at"]) for r in rows] == [
        ("churn_risk", "流失预警", "上海客户丁 存在流失风险：66%。主要原因：回款逾期。", "/insight/churn/2", None),
        ("churn_risk", "流失预警", "上海客户甲 存在流失风险：81%。主要原因：近90天无拜访。 续约日期 2026-12-01。",
         "/insight/churn/1", None),
    ]
    english = client.get("/api/v1/notifications?lang=en&limit=1", headers=sh1).json()
    assert [r["text"] for r in english] == ["Churn risk for 上海客户丁: 66%. Reasons: 回款逾期."]
    [theirs] = client.get("/api/v1/notifications", headers=bj1).json()
    r = client.post(f"/api/v1/notifications/{theirs['id']}/read", headers=sh1)
    assert (r.status_code, r.json()["detail"]) == (404, f"notification {theirs['id']} does not exist")
    assert client.post(f"/api/v1/notifications/{rows[0]['id']}/read", headers=sh1).json() == {"marked": 1}
    assert [r["id"] for r in client.get("/api/v1/notifications?unread=true", headers=sh1).json()] == [rows[1]["id"]]
    assert client.get("/api/v1/notifications/unread-count", headers=sh1).json() == {"unread": 1}
    assert client.post("/api/v1/notifications/read-all", headers=sh1).json() == {"marked": 1}
    assert client.get("/api/v1/notifications/unread-count", headers=sh1).json() == {"unread": 0}
    assert client.get("/api/v1/notifications/unread-count", headers=bj1).json() == {"unread": 1}
    assert client.get("/api/v1/notifications?limit=0", headers=sh1).status_code == 422


def test_the_bell_is_on_every_page_of_a_person_and_loads_the_count(client: TestClient, seeded: Pipeline) -> None:
    login(client, "sh1")
    for path in ("/", "/leads", "/process", "/comp/me", "/insight/churn", "/targets/me", "/notifications"):
        page = client.get(path)
        assert page.status_code == 200, path
        assert 'data-testid="bell"' in page.text and 'hx-get="/notifications/badge"' in page.text, path
    assert client.get("/notifications/badge").text == "2"
    client.cookies.clear()
    login(client, "admin")  # a login without a person has no inbox and no bell
    assert 'data-testid="bell"' not in client.get("/").text
    assert client.get("/notifications/badge").text == ""


def test_the_inbox_page_marks_read_and_goes_where_to_act(client: TestClient, seeded: Pipeline) -> None:
    assert client.get("/notifications").headers["location"] == "/login?next=%2Fnotifications"
    login(client, "sh1")
    page = client.get("/notifications").text
    ids = [int(x) for x in re.findall(r'data-testid="notice-(\d+)"', page)]
    assert len(ids) == 2
    assert "上海客户丁 存在流失风险：66%" in page and "全部标为已读" in page and "去处理" in page
    fragment = client.post(f"/notifications/{ids[0]}/read", headers={"HX-Request": "true"})
    assert fragment.headers["HX-Trigger"] == "notifications-changed"
    assert f'data-testid="notice-{ids[0]}"' in fragment.text and "标为已读" not in fragment.text
    go = client.post(f"/notifications/{ids[1]}/read?go=1")
    assert (go.status_code, go.headers["location"]) == (303, "/insight/churn/1")
    assert client.get("/notifications/badge").text == ""
    assert "没有未读通知。" in client.get("/notifications?unread=1").text
    assert client.get("/notifications?lang=en").text.count("Churn warning") == 2


def test_someone_elses_notice_is_404_on_the_pages_too(client: TestClient, seeded: Pipeline) -> None:
    login(client, "bj1")
    [theirs] = [int(x) for x in re.findall(r'data-testid="notice-(\d+)"', client.get("/notifications").text)]
    client.cookies.clear()
    login(client, "sh1")
    assert client.post(f"/notifications/{theirs}/read").status_code == 404
    assert client.post("/notifications/read-all").headers["location"] == "/notifications"
    client.cookies.clear()
    login(client, "bj1")
    assert client.get("/notifications/badge").text == "1"
