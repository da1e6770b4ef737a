"""In a real browser: a rep opens their statement and every line adds up to the total.

uvicorn serves the app on a free port over a SQLite store with the compensation world and an
approved October run; Debian's chromium is driven through Playwright (skipped with a reason
when missing, a failure under CI=true).
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from tests.e2e.browser import chromium, log_in, new_page, serve
from tests.integration.compensation.world import CompWorld

pytestmark = pytest.mark.browser


@pytest.fixture
def live(world: CompWorld) -> Iterator[str]:
    world.approve("2026-10")
    with serve(world.store) as base:
        yield base


def test_a_rep_opens_their_statement_and_the_lines_sum_to_the_total(live: str) -> None:
    with chromium() as browser:
        page = new_page(browser, 1360, 1000)
        log_in(page, live, "sh1", "/comp/me")
        page.wait_for_selector("[data-testid=statement-lines]")
        amounts = [
            Decimal(v)
            for v in page.locator("[data-testid=line-amount]").evaluate_all("cells => cells.map(c => c.dataset.value)")
        ]
        total = Decimal(page.get_attribute("[data-testid=statement-total]", "data-value") or "")
        assert amounts == [Decimal("12000.00"), Decimal("0.00"), Decimal("800.00")]
        assert sum(amounts) == total == Decimal("12800.00")
        assert page.inner_text("[data-testid=statement-total]").replace(",", "") == "¥12800.00"
        commission = page.locator("[data-testid=line]").nth(2)
        commission.locator("summary", has_text="输入与来源").click()
        assert commission.locator("dt", has_text="attainment").is_visible()
        assert page.js_errors == []
