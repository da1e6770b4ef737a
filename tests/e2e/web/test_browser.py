"""The real app in a real browser: log in through the form, see the chart draw the manager's
figure, and filter the people list with HTMX.

Runs uvicorn in a background thread on a free port against a SQLite store seeded with
``tests.factories.Org``, and drives Debian's chromium (``/usr/bin/chromium``) through
Playwright — never a downloaded browser (STACK.md, "Browser tests").
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chanli.bootstrap import Container
from tests.e2e.browser import chromium, new_page, serve
from tests.factories import PASSWORD, Org

pytestmark = pytest.mark.browser


@pytest.fixture
def live_server(sqlite_store: Container) -> Iterator[str]:
    """The app served on a free port, with the two-region company."""
    with sqlite_store.uow() as uow:
        Org(uow)
        uow.commit()
    with serve(sqlite_store) as base:
        yield base


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with chromium() as browser:
        yield new_page(browser)


def test_manager_logs_in_sees_the_chart_of_their_region_and_only_their_reps(
    live_server: str, browser_page: Any
) -> None:
    page = browser_page

    # Given an anonymous visitor, the dashboard sends them to the login form
    page.goto(live_server + "/")
    assert page.url == live_server + "/login?next=%2F"

    # When the east manager logs in through the form
    page.fill("input[name=username]", "east_mgr")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live_server + "/")

    # Then the monthly chart draws October 2026 at the manager's won revenue (张三's order only)
    page.wait_for_function("() => window.chanliCharts && window.chanliCharts.monthly")
    october = page.evaluate("""() => {
        const option = window.chanliCharts.monthly.getOption();
        return option.series[0].data[option.xAxis[0].data.indexOf("2026-10")];
    }""")
    assert october == 120000
    assert page.inner_text("[data-testid=won-total]") == "¥120,000.00"
    box = page.locator("#chart-monthly canvas").first.bounding_box()
    assert box is not None
    assert box["width"] > 100
    assert box["height"] > 100

    # And picking a preset period reloads the dashboard for just that month
    page.select_option("select[name=period]", "month")
    page.wait_for_url(live_server + "/?period=month")
    assert page.inner_text("[data-testid=period-range]") == "2026-10-01 – 2026-10-31"

    # And the people page lists 张三 (上海一组) but not 孙六 (北京组, the other region)
    page.click("nav.mainnav a[data-nav=people]")
    page.wait_for_url(live_server + "/people")
    table = page.locator("[data-testid=people-table]")
    assert table.get_by_text("张三", exact=True).count() == 1
    assert page.get_by_text("孙六").count() == 0

    # And filtering by tier swaps just the table and pushes a clean URL
    page.select_option("select[name=tier]", "new")
    page.wait_for_url(live_server + "/people?tier=new")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=people-table] tbody tr').length === 1")
    assert table.locator("tbody tr td a").all_inner_texts() == ["李四"]
    assert page.js_errors == []
