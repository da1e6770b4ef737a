"""The web pages as people use them: login, scope, filters, details, 404s — on both stores.

Given the company of ``conftest.Pipeline`` (华东大区: 上海一组 张三 李四, 杭州组 钱五;
华北大区: 北京组 孙六), each test logs in through the form and reads the rendered page.
Pages render in Chinese by default, so the assertions use the Chinese labels.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from chanli.web import pages
from tests.e2e.web.conftest import Pipeline, first_column, login, table_rows


def _main(page: str) -> str:
    """The page body without the header (whose language links repeat the URL)."""
    return page[page.index("<main"):page.index("</main>")]


PAGES = ["/", "/people", "/people/1", "/accounts", "/leads", "/opportunities", "/opportunities/1"]


# --- login ----------------------------------------------------------------------------------


def test_anonymous_visitor_is_sent_to_login_from_every_page(client: TestClient) -> None:
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == "/login?next=" + path.replace("/", "%2F")


def test_anonymous_filter_request_keeps_its_query_in_the_login_next(client: TestClient) -> None:
    response = client.get("/opportunities?stage=proposal")
    assert response.headers["location"] == "/login?next=%2Fopportunities%3Fstage%3Dproposal"


def test_anonymous_htmx_request_asks_the_browser_to_go_to_login(client: TestClient) -> None:
    """A 303 inside an XHR would swap the login form into the table; HX-Redirect avoids that."""
    response = client.get("/people?tier=core", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["hx-redirect"] == "/login?next=%2Fpeople%3Ftier%3Dcore"


def test_wrong_password_answers_401_with_the_message_and_keeps_the_username(
    client: TestClient, pipeline: Pipeline
) -> None:
    response = client.post("/login", data={"username": "east_mgr", "password": "not-the-password"})
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.text
    assert 'value="east_mgr"' in response.text
    assert "chanli_session" not in response.cookies
    assert client.get("/").status_code == 303


def test_unknown_user_gets_the_same_answer_as_a_wrong_password(client: TestClient, pipeline: Pipeline) -> None:
    response = client.post("/login", data={"username": "nobody", "password": "whatever-123"})
    assert response.status_code == 401
    assert "用户名或密码错误。" in response.text


def test_login_returns_to_the_page_that_was_asked_for(client: TestClient, pipeline: Pipeline) -> None:
    from tests.factories import PASSWORD

    response = client.post("/login", data={"username": "sh1", "password": PASSWORD, "next": "/leads?status=new"})
    assert response.status_code == 303
    assert response.headers["location"] == "/leads?status=new"
    assert client.get("/leads?status=new").status_code == 200


def test_login_never_redirects_to_another_site(client: TestClient, pipeline: Pipeline) -> None:
    from tests.factories import PASSWORD

    for elsewhere in ["//evil.example", "/\\evil.example", "https://evil.example"]:
        response = client.post("/login", data={"username": "sh1", "password": PASSWORD, "next": elsewhere})
        assert response.headers["location"] == "/", elsewhere


def test_logout_ends_the_session(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "sh1")
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 303
    assert client.get("/").status_code == 303


# --- scope ----------------------------------------------------------------------------------


def test_manager_sees_their_regions_reps_and_not_the_other_regions(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "east_mgr")
    page = client.get("/people").text
    assert first_column(page, "people-table") == ["王经理", "张三", "李四", "钱五"]
    assert "孙六" not in page
    assert "北京组" not in page


def test_manager_team_tree_is_indented_with_kind_manager_and_subtree_headcount(
    client: TestClient, pipeline: Pipeline
) -> None:
    login(client, "east_mgr")
    page = client.get("/people").text
    org = pipeline.org
    assert f'class="tree-node depth-0" style="--indent: 0" data-team-id="{org.east}"' in page
    assert f'class="tree-node depth-1" style="--indent: 1" data-team-id="{org.shanghai}"' in page
    assert f'class="tree-node depth-1" style="--indent: 1" data-team-id="{org.hangzhou}"' in page
    tree = page[page.index('data-testid="team-tree"'):page.index("</aside>")]
    assert [line.split("</span>")[0] for line in tree.split('data-testid="headcount">')[1:]] == [
        "4 人", "2 人", "1 人"
    ]
    assert "经理 王经理" in tree
    assert ">大区</span>" in tree
    assert ">团队</span>" in tree


def test_rep_sees_only_their_own_accounts_and_opportunities(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "sh1")
    assert first_column(client.get("/accounts").text, "accounts-table") == ["上海客户丁", "上海客户甲"]
    assert first_column(client.get("/opportunities").text, "opportunities-table") == ["上海续约", "上海数据平台"]
    assert first_column(client.get("/leads").text, "leads-table") == ["浦东线索公司"]
    assert first_column(client.get("/people").text, "people-table") == ["张三"]


def test_opportunity_of_another_team_is_404_exactly_like_a_missing_one(
    client: TestClient, pipeline: Pipeline
) -> None:
    login(client, "east_mgr")
    hidden = client.get(f"/opportunities/{pipeline.bj_group}")
    missing = client.get("/opportunities/987654")
    assert hidden.status_code == missing.status_code == 404
    assert _main(hidden.text) == _main(missing.text)
    assert "该页面不存在，或您无权查看。" in hidden.text
    assert "北京集团采购" not in hidden.text


def test_person_outside_scope_is_404(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "sh1")
    assert client.get(f"/people/{pipeline.org.sh2}").status_code == 404
    assert client.get(f"/people/{pipeline.org.sh1}").status_code == 200


def test_unknown_page_is_the_html_404_and_the_api_keeps_json(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "sh1")
    page = client.get("/no-such-page")
    assert page.status_code == 404
    assert 'data-testid="not-found"' in page.text
    api = client.get("/api/v1/no-such-endpoint")
    assert api.status_code == 404
    assert api.json() == {"detail": "Not Found"}


# --- dashboard ------------------------------------------------------------------------------


def test_dashboard_shows_the_figures_of_the_managers_scope(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "east_mgr")
    page = client.get("/").text
    assert 'data-testid="won-total">¥120,000.00<' in page
    assert 'data-testid="open-pipeline">¥480,000.00<' in page  # 上海数据平台 + 杭州门店系统
    assert 'data-testid="open-count">2<' in page
    assert [r[1] for r in table_rows(page, "top-reps")] == ["张三"]
    assert '"2026-10"' in page
    assert "北京" not in page


def test_dashboard_period_picker_narrows_the_months(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "finance")
    latest = client.get("/?period=month").text
    assert 'data-testid="period-range">2026-10-01 – 2026-10-31<' in latest
    assert 'data-testid="won-total">¥200,000.00<' in latest
    custom = client.get("/?from=2026-01&to=2026-09").text
    assert 'data-testid="period-range">2026-01-01 – 2026-09-30<' in custom
    assert 'data-testid="won-total">¥0.00<' in custom
    assert '<option value="custom" selected>' in custom


# --- details --------------------------------------------------------------------------------


def test_person_detail_lists_accounts_open_opportunities_and_mentorships(
    client: TestClient, pipeline: Pipeline
) -> None:
    login(client, "east_mgr")
    sh1 = client.get(f"/people/{pipeline.org.sh1}").text
    assert first_column(sh1, "person-accounts") == ["上海客户丁", "上海客户甲"]
    assert table_rows(sh1, "person-opportunities") == [["上海数据平台", "需求挖掘", "¥300,000.00", "2026-12-20"]]
    assert first_column(sh1, "person-mentorships") == ["暂无师徒协议。"]
    mentor = client.get(f"/people/{pipeline.org.hz1}").text
    assert table_rows(mentor, "person-mentorships") == [["钱五", "李四", "2026-01-01", "2027-01-01", "8%"]]


def test_opportunity_detail_shows_amount_stage_probability_history_and_activities(
    client: TestClient, pipeline: Pipeline
) -> None:
    login(client, "sh1")
    won = client.get(f"/opportunities/{pipeline.sh_renewal}").text
    assert 'data-testid="opportunity-amount">¥50,000.00<' in won
    assert 'data-testid="opportunity-stage">赢单<' in won
    assert 'data-testid="opportunity-probability">100%<' in won
    history = won[won.index('data-testid="stage-history"'):won.index("</ol>", won.index('data-testid="stage-history"'))]
    # newest first; 06:30 UTC is 14:30 in Shanghai
    assert " ".join(history.split()).count("tl-item") == 2
    assert history.index("2026-10-12 14:30") < history.index("2026-08-03 08:00")
    assert "方案 → <strong>赢单</strong>" in history
    assert "客户签字" in history
    platform = client.get(f"/opportunities/{pipeline.sh_platform}").text
    assert table_rows(platform, "activities") == [["2026-09-10 10:00", "拜访", "张三", "90", "确认预算"]]
    assert 'data-testid="opportunity-probability">25%<' in platform


# --- filters and pagination -----------------------------------------------------------------


def test_people_filters_by_team_tier_and_search(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "east_mgr")
    org = pipeline.org
    assert first_column(client.get(f"/people?team_id={org.shanghai}").text, "people-table") == ["张三", "李四"]
    assert first_column(client.get("/people?tier=new").text, "people-table") == ["李四"]
    assert first_column(client.get("/people?q=钱").text, "people-table") == ["钱五"]
    assert first_column(client.get(f"/people?team_id={org.beijing}").text, "people-table") == [
        "没有符合筛选条件的人员。"
    ]
    # empty and malformed values are "no filter", not an error page
    assert len(first_column(client.get("/people?team_id=&tier=bogus&q=").text, "people-table")) == 4


def test_opportunity_filters_by_stage_status_owner_and_search(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "admin")
    org = pipeline.org

    def names(query: str) -> list[str]:
        return first_column(client.get(f"/opportunities?{query}").text, "opportunities-table")

    assert names("stage=proposal") == ["杭州门店系统"]
    assert names("status=won") == ["上海续约"]
    assert names(f"owner_id={org.bj1}") == ["北京集团采购"]
    assert names("q=上海") == ["上海续约", "上海数据平台"]  # newest first
    assert names(f"q=上海&status=open&owner_id={org.sh1}") == ["上海数据平台"]


def test_accounts_filter_by_grade_and_search(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "admin")
    assert first_column(client.get("/accounts?grade=A").text, "accounts-table") == ["上海客户丁"]
    assert first_column(client.get("/accounts?grade=B").text, "accounts-table") == ["杭州客户丙"]
    assert first_column(client.get("/accounts?q=北京").text, "accounts-table") == ["北京客户乙"]


def test_leads_filter_by_status_and_source(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "admin")
    assert first_column(client.get("/leads?status=contacted").text, "leads-table") == ["朝阳线索公司"]
    assert first_column(client.get("/leads?source=官网").text, "leads-table") == ["浦东线索公司"]
    page = client.get("/leads").text
    assert '<option value="官网">官网</option>' in page
    assert '<option value="展会">展会</option>' in page


def test_lead_source_choices_follow_scope(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "sh1")
    page = client.get("/leads").text
    assert '<option value="官网">官网</option>' in page
    assert "展会" not in page


def test_htmx_filter_returns_only_the_results_fragment(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "admin")
    response = client.get("/opportunities?stage=negotiation", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'class="filters' not in response.text
    assert first_column(response.text, "opportunities-table") == ["北京集团采购"]
    assert "HX-Request" in response.headers["vary"]
    restore = client.get("/opportunities?stage=negotiation",
                         headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text


def test_filter_form_targets_the_results_and_pushes_the_url(client: TestClient, pipeline: Pipeline) -> None:
    login(client, "admin")
    page = client.get("/opportunities").text
    assert 'hx-get="/opportunities" hx-target="#results" hx-push-url="true"' in page
    assert '<div id="results" class="card results">' in page


def test_lists_paginate_and_keep_their_filters(
    client: TestClient, pipeline: Pipeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    login(client, "admin")
    first = client.get("/accounts?q=客户").text
    assert first_column(first, "accounts-table") == ["上海客户丁", "上海客户甲"]
    assert 'href="/accounts?q=%E5%AE%A2%E6%88%B7&amp;page=2"' in first
    second = client.get("/accounts?q=客户&page=2").text
    assert first_column(second, "accounts-table") == ["北京客户乙", "杭州客户丙"]
    assert 'href="/accounts?q=%E5%AE%A2%E6%88%B7"' in second  # back to page 1
    assert 'rel="next"' not in second
