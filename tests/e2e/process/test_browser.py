"""The kanban gate in a real browser: a rep drags a deal (or presses its button) to the next
stage without the required deliverable and sees what is missing; after ticking the
deliverable and answering SPIN the same move goes through.

Runs uvicorn in a background thread against a SQLite store and drives Debian's chromium
(``/usr/bin/chromium``) through Playwright — never a downloaded browser (STACK.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chanli.bootstrap import Container
from tests.e2e.browser import chromium, log_in, new_page, serve
from tests.e2e.process.conftest import seed_territories
from tests.e2e.web.conftest import Pipeline, seed_pipeline

pytestmark = pytest.mark.browser


@pytest.fixture
def served(sqlite_store: Container) -> Iterator[tuple[str, Pipeline]]:
    with sqlite_store.uow() as uow:
        p = seed_pipeline(uow)
        seed_territories(uow, p)
        uow.commit()
    with serve(sqlite_store) as base:
        yield base, p


@pytest.fixture
def page(served: tuple[str, Pipeline]) -> Iterator[Any]:
    with chromium() as browser:
        pg = new_page(browser)
        pg.set_default_timeout(10_000)
        yield pg


def _login(page: Any, base: str, username: str) -> None:
    log_in(page, base, username, "/process")


def test_dragging_a_card_without_the_deliverable_shows_what_is_missing(page: Any, served: tuple[str, Pipeline]) -> None:
    base, p = served
    _login(page, base, "sh1")
    card = page.locator(f"[data-testid=card-{p.sh_platform}]")
    card.drag_to(page.locator("[data-testid=column-proposal]"))
    missing = page.locator("[data-testid=gate-missing] li")
    missing.first.wait_for()
    texts = missing.all_inner_texts()
    assert texts[0] == "缺少交付物《客户需求分析模板》（需求挖掘）"
    assert len(texts) == 5
    assert page.locator("[data-testid=column-discovery]").inner_text().count("上海数据平台") == 1


def test_the_button_moves_the_card_once_the_gate_is_satisfied(page: Any, served: tuple[str, Pipeline]) -> None:
    base, p = served
    _login(page, base, "sh1")
    page.click(f"[data-testid=advance-{p.sh_platform}]")
    page.locator("[data-testid=gate-missing]").wait_for()
    page.click("[data-testid=gate-result] a")  # open the checklist
    page.wait_for_url(f"{base}/process/opportunities/{p.sh_platform}")
    page.fill("input[name=note]", "共享盘/需求分析.docx")
    page.click("[data-testid=tick-needs_analysis]")
    page.wait_for_url("**saved=checklist")
    for key in ("s1", "p1", "i1", "n1"):
        page.fill(f"textarea[name=spin_{key}]", "已与客户确认")
    page.click("[data-testid=spin-form] button")
    page.wait_for_url("**saved=spin")
    page.locator("[data-testid=gate-ok]").wait_for()
    page.click("[data-testid=move-next]")
    page.wait_for_url(f"{base}/process/opportunities/{p.sh_platform}")
    page.goto(f"{base}/process")
    assert "上海数据平台" in page.locator("[data-testid=column-proposal]").inner_text()
