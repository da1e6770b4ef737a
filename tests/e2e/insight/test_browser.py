"""In a real browser: the war room's panels refresh themselves (HTMX polling) without reloading
the page, its charts are drawn and link to the records behind them; a rep opens the churn
warning on their account, logs an intervention, and sees it in the timeline.

uvicorn serves the app on a free port over a SQLite store with a year of renewals (the churn
model is trained and scored on it), a deal and an analysed call; Debian's chromium is
driven through Playwright.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from chanli.bootstrap import Container
from chanli.core.db import Actor
from chanli.crm import model as crm
from chanli.crm import service as crm_service
from chanli.insight import connect_store, service
from tests.e2e.browser import chromium, log_in, new_page, serve
from tests.factories import Org, create_opportunity
from tests.integration.insight.test_services import AS_OF, _history

pytestmark = pytest.mark.browser


@pytest.fixture
def live(sqlite_store: Container, tmp_path) -> Iterator[tuple[str, Org]]:  # type: ignore[no-untyped-def]
    org, _risky, _calm = _history(sqlite_store)
    with sqlite_store.uow(Actor(None, "test")) as uow:
        deal = create_opportunity(uow, org.sh1, org.acc_sh1, amount="90000", stage="proposal",
                                  created_on=date(2026, 9, 10))
        crm_service.upsert_calls(uow, [crm.CallRecordDraft(
            org.sh1, datetime(2026, 10, 9, 2, tzinfo=UTC), 300, account_id=org.acc_sh1, opportunity_id=deal,
            transcript="销售：您好。\n客户：价格太贵了，我们很失望。", external_id="CALL-B")])
        service.analyse_calls(uow)
        uow.commit()
    con = connect_store(sqlite_store.settings.database_url)
    try:
        with sqlite_store.uow(Actor(None, "test")) as uow:
            service.train_churn(uow, con, as_of=AS_OF, model_dir=tmp_path)
            service.score_churn(uow, con, as_of=AS_OF)
            uow.commit()
    finally:
        con.disconnect()
    with serve(sqlite_store) as base:
        yield base, org


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_war_room_panels_refresh_without_reloading_the_page(live: tuple[str, Org], browser: Any) -> None:
    base, _org = live
    page = new_page(browser, 1400, 1000)
    log_in(page, base, "admin")
    page.goto(f"{base}/insight/warroom?refresh=2&as_of=2026-11-01")
    page.wait_for_function("() => window.chanliInsight && window.chanliInsight.draws >= 5")
    page.evaluate("() => { window.__stillTheSamePage = true; }")
    before = page.get_attribute("#panel-churn", "data-updated")
    assert page.inner_text("[data-testid=active-warnings]") == "1"
    page.wait_for_function(
        "(t) => document.querySelector('#panel-churn').dataset.updated !== t && window.chanliInsight.swaps >= 9",
        arg=before, timeout=15_000,
    )
    state = page.evaluate("""() => ({
        same: window.__stillTheSamePage === true,
        navigations: performance.getEntriesByType('navigation').length,
        swaps: window.chanliInsight.swaps,
        funnel: !!echarts.getInstanceByDom(document.querySelector('#panel-funnel [data-chart=funnel]')),
    })""")
    assert state["same"] and state["navigations"] == 1
    assert state["swaps"] >= 9 and state["funnel"]
    assert page.js_errors == []
    # drill down: the churn panel's warning opens the warning, whose account is listed
    page.click("#panel-churn a[href^='/insight/churn/']")
    page.wait_for_url(f"{base}/insight/churn/*")
    assert page.inner_text("h1").startswith("投诉客户")


def test_a_rep_logs_an_intervention_on_their_warning(live: tuple[str, Org], browser: Any) -> None:
    base, _org = live
    page = new_page(browser, 1280, 900)
    log_in(page, base, "sh1")
    page.goto(f"{base}/insight/warroom")  # the war room is for leaders: a rep lands on their warnings
    page.wait_for_url(f"{base}/insight/churn")
    page.click("[data-testid=warnings] a")
    page.select_option("[data-testid=intervention-form] select[name=kind]", "executive")
    page.fill("[data-testid=intervention-form] input[name=note]", "总经理上门拜访")
    page.click("[data-testid=intervention-form] button[type=submit]")
    page.wait_for_selector("[data-testid=interventions] .tl-item")
    assert "总经理上门拜访" in page.inner_text("[data-testid=interventions]")
    assert page.get_attribute("h1 [data-status]", "data-status") == "in_progress"
    assert page.js_errors == []
