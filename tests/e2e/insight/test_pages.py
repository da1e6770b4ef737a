"""Insight pages over HTTP (SQLite): scope on warning pages, the war room's refreshable
fragments, and the market forms that enter the facts behind saturation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from chanli.bootstrap import Container, create_app
from chanli.core.db import Actor
from chanli.insight import connect_store, queries, service
from tests.factories import PASSWORD
from tests.integration.insight.test_services import ADMIN, AS_OF, _history


@pytest.fixture
def site(sqlite_store: Container, tmp_path) -> Iterator[tuple[Container, TestClient]]:  # type: ignore[no-untyped-def]
    _history(sqlite_store)
    con = connect_store(sqlite_store.settings.database_url)
    try:
        with sqlite_store.uow(Actor(None, "test")) as uow:
            service.train_churn(uow, con, as_of=AS_OF, model_dir=tmp_path)
            service.score_churn(uow, con, as_of=AS_OF)
            uow.commit()
    finally:
        con.disconnect()
    with TestClient(create_app(sqlite_store)) as client:
        yield sqlite_store, client


def _login(client: TestClient, username: str) -> None:
    client.cookies.clear()
    r = client.post("/login", data={"username": username, "password": PASSWORD, "next": "/"}, follow_redirects=False)
    assert r.status_code == 303


def test_a_warning_page_is_visible_to_its_owner_and_hidden_from_other_reps(site: tuple[Container, TestClient]) -> None:
    store, client = site
    with store.read() as s:
        [warning] = queries.list_warnings(s, ADMIN)
    _login(client, "sh1")
    page = client.get(f"/insight/churn/{warning.id}")
    assert page.status_code == 200 and "投诉客户" in page.text and "近12个月投诉" in page.text
    _login(client, "bj1")
    assert client.get(f"/insight/churn/{warning.id}").status_code == 404
    assert "投诉客户" not in client.get("/insight/churn").text


def test_war_room_panels_are_fragments_that_keep_polling(site: tuple[Container, TestClient]) -> None:
    _store, client = site
    _login(client, "east_mgr")
    full = client.get("/insight/warroom?refresh=5&as_of=2026-11-01")
    assert full.status_code == 200 and full.text.count('hx-trigger="every 5s"') == 9
    panel = client.get("/insight/warroom/panels/churn?refresh=5&as_of=2026-11-01", headers={"HX-Request": "true"})
    assert panel.status_code == 200
    assert panel.text.lstrip().startswith('<section class="card wr-panel wr-churn" id="panel-churn"')
    assert 'hx-swap="outerHTML"' in panel.text and "<html" not in panel.text
    assert client.get("/insight/warroom/panels/nope").status_code == 404
    _login(client, "sh1")
    assert client.get("/insight/warroom/panels/churn").status_code == 404
    assert client.get("/insight/warroom", follow_redirects=False).headers["location"] == "/insight/churn"


def test_sales_ops_enter_addressable_accounts_on_the_market_page(site: tuple[Container, TestClient]) -> None:
    _store, client = site
    _login(client, "ops")
    saved = client.post("/insight/market/markets", data={"region": "华东", "industry": "制造",
                                                          "addressable_accounts": "400"})
    assert saved.status_code == 200 and 'data-testid="market-notice"' in saved.text
    assert "400" in saved.text
    bad = client.post("/insight/market/spend", data={"month": "2026-13", "channel": "展会", "amount": "1"})
    assert bad.status_code == 400 and "month must be a date" in bad.text
    _login(client, "sh1")
    assert 'action="/insight/market/markets"' not in client.get("/insight/market").text
