"""The kanban gate in a real browser: a rep drags a deal (or presses its button) to the next
stage without the required deliverable and sees what is missing; after ticking the
deliverable and answering SPIN the same move goes through.

Runs uvicorn in a background thread against a SQLite store and drives Debian's chromium
(``/usr/bin/chromium``) through Playwright — never a downloaded browser (STACK.md).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chanli.bootstrap import Container, create_app
from tests.conftest import skip_or_fail
from tests.e2e.process.conftest import seed_territories
from tests.e2e.web.conftest import Pipeline, seed_pipeline
from tests.factories import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic",
    "--no-first-run", "--disable-component-update", "--disable-sync",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(sqlite_store: Container) -> Iterator[tuple[str, Pipeline]]:
    import uvicorn

    with sqlite_store.uow() as uow:
        p = seed_pipeline(uow)
        seed_territories(uow, p)
        uow.commit()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(sqlite_store), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, name="chanli-uvicorn-process", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", p
    finally:
        server.should_exit = True
        thread.join(5)


@pytest.fixture
def page(served: tuple[str, Pipeline]) -> Iterator[Any]:
    if not CHROMIUM.exists():
        skip_or_fail(f"no browser at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN")
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        try:
            yield pg
        finally:
            context.close()
            browser.close()


def _login(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login?next=/process")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/process")


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
    page.screenshot(path=str(Path("/tmp") / "chanli-process-kanban.png"), full_page=True)
