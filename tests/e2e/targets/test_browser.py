"""In a real browser: the manager edits a rep's October target inline in the planner (HTMX),
and the rep's pacing gauge (ECharts) redraws against the new target.

uvicorn serves the app on a free port over a SQLite store seeded with ``tests.factories.Org``
and an equal Q4 plan of 600,000; Debian's chromium is driven through Playwright.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from chanli.bootstrap import Container
from chanli.targets import PlanRequest, queries, service
from tests.e2e.browser import chromium, log_in, new_page, serve
from tests.factories import Org

pytestmark = pytest.mark.browser


@pytest.fixture
def live(sqlite_store: Container) -> Iterator[tuple[str, Org]]:
    with sqlite_store.uow() as uow:
        org = Org(uow)
        service.create_plan(
            uow, queries.SYSTEM_PRINCIPAL, PlanRequest("won_revenue", "2026-Q4", Decimal("600000"), grains=("month",))
        )
        uow.commit()
    with serve(sqlite_store) as base:
        yield base, org


@pytest.fixture
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def _login(browser: Any, base: str, username: str) -> Any:
    page = new_page(browser, 1360, 1000)
    log_in(page, base, username)
    return page


def _gauge(page: Any) -> dict[str, Any]:
    page.wait_for_function("() => window.chanliTargets && window.chanliTargets.gauges.won_revenue")
    return page.evaluate("""() => {
        const g = window.chanliTargets.gauges.won_revenue[0];
        const option = g.chart.getOption();
        return {attainment: g.attainment, expected: g.expected, drawn: option.series[0].data[0].value,
                width: g.chart.getWidth(), height: g.chart.getHeight()};
    }""")


def test_the_manager_edits_a_month_inline_and_the_reps_gauge_follows(live: tuple[str, Org], browser: Any) -> None:
    base, org = live

    # the rep: 120,000 signed against an October target of 25,000 → 480 %, drawn capped at 150
    rep = _login(browser, base, "sh1")
    rep.goto(base + "/targets/me?as_of=2026-10-20")
    before = _gauge(rep)
    assert (before["attainment"], before["drawn"]) == (480, 150)
    assert before["expected"] == 64.5  # 20 of 31 days: 16,129.03 of 25,000
    assert before["width"] > 150 and before["height"] > 150
    assert rep.inner_text("[data-testid=metric-won_revenue] [data-testid=target] >> nth=0") == "¥25,000.00"

    # the manager opens the planner and types 30,000 into 张三's October
    mgr = _login(browser, base, "east_mgr")
    mgr.click("nav.mainnav a[data-nav=targets]")
    mgr.wait_for_url(base + "/targets")
    cell = mgr.locator(f"tr[data-owner='person:{org.sh1}'] td[data-period='2026-10']")
    cell.locator("button.tg-cell").click()
    mgr.wait_for_selector("[data-testid=cell-edit] input[name=value]")
    mgr.fill("[data-testid=cell-edit] input[name=value]", "30000")
    mgr.fill("[data-testid=cell-edit] input[name=reason]", "大客户提前签约")
    mgr.click("[data-testid=cell-edit] button[type=submit]")
    mgr.wait_for_selector(f"tr[data-owner='person:{org.sh1}'] td[data-period='2026-10'].changed")
    assert cell.inner_text() == "¥30,000.00"
    assert mgr.locator(f"tr[data-owner='person:{org.sh2}'] td[data-period='2026-10']").inner_text() == "¥20,000.00"
    assert mgr.locator(f"tr[data-owner='team:{org.shanghai}'] td[data-period='2026-10']").inner_text() == "¥50,000.00"

    # the rep's gauge now reads 120,000 ÷ 30,000
    rep.reload()
    assert _gauge(rep)["attainment"] == 400
    assert rep.js_errors == [] and mgr.js_errors == []
