"""Chinese first, English on request: the same page in both languages, and the choice remembered."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.e2e.web.conftest import Pipeline, login, table_rows


def test_login_page_is_chinese_by_default_english_with_lang_and_the_cookie_remembers_it(
    client: TestClient,
) -> None:
    default = client.get("/login")
    assert '<html lang="zh-CN">' in default.text
    assert "<h1>登录</h1>" in default.text
    assert "chanli_lang" not in default.cookies

    english = client.get("/login?lang=en")
    assert '<html lang="en">' in english.text
    assert "<h1>Log in</h1>" in english.text
    assert english.cookies["chanli_lang"] == "en"

    remembered = client.get("/login")
    assert "<h1>Log in</h1>" in remembered.text

    back = client.get("/login?lang=zh_CN")
    assert "<h1>登录</h1>" in back.text
    assert client.get("/login").text.count("<h1>登录</h1>") == 1


def test_browser_language_applies_until_the_user_chooses(client: TestClient) -> None:
    assert "<h1>Log in</h1>" in client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"}).text
    assert "<h1>登录</h1>" in client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9"}).text
    client.cookies.set("chanli_lang", "zh_CN")
    assert "<h1>登录</h1>" in client.get("/login", headers={"Accept-Language": "en-US"}).text


def test_codes_and_money_are_shown_in_the_chosen_language(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "east_mgr")
    zh = client.get("/people").text
    assert [row[3] for row in table_rows(zh, "people-table")] == ["骨干", "骨干", "新人", "精英"]
    assert "销售龙虎榜" in client.get("/").text
    en = client.get("/people?lang=en").text
    assert [row[3] for row in table_rows(en, "people-table")] == ["Core", "Core", "New hire", "Elite"]
    assert [row[2] for row in table_rows(en, "people-table")] == ["Manager", "Sales rep", "Sales rep", "Sales rep"]
    dashboard = client.get("/").text
    assert "Sales leaderboard" in dashboard
    assert 'data-testid="won-total">CN¥120,000.00<' in dashboard


def test_language_switch_links_keep_the_current_filters(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "admin")
    page = client.get("/opportunities?stage=proposal&q=杭州").text
    assert 'href="/opportunities?stage=proposal&amp;q=%E6%9D%AD%E5%B7%9E&amp;lang=en"' in page
