"""The compensation pages, rendered by the real app (SQLite store): what each role sees."""

from __future__ import annotations

import re

from chanli.compensation import service
from chanli.compensation.sample import SAMPLE_PLAN
from tests.e2e.compensation.conftest import Site
from tests.e2e.web.conftest import table_rows


def _approved_october(site: Site) -> int:
    return site.world.approve("2026-10").run_id


def test_a_rep_sees_their_statement_every_line_explained_and_the_lines_sum_to_the_total(site: Site):
    _approved_october(site)
    site.login("sh1")
    page = site.client.get("/comp/me").text
    assert 'data-testid="statement-total" data-value="12800.00"' in page
    amounts = re.findall(r'data-testid="line-amount" data-value="([-0-9.]+)"', page)
    assert amounts == ["12000.00", "0.00", "800.00"]
    assert "超额 0%–10% 段 ¥10,000.00 × 3% + 超额 10%–20% 段 ¥10,000.00 × 5%" in page
    assert page.count('data-testid="dispute-') == 3  # the rep may dispute each line of their own statement
    assert site.client.get("/comp/runs").status_code == 404  # run review is back office only


def test_a_manager_sees_the_statements_of_their_subtree_only(site: Site):
    _approved_october(site)
    site.login("east_mgr")
    rows = table_rows(site.client.get("/comp/team").text, "team-statements")
    assert sorted(r[0] for r in rows) == ["张三", "李四", "钱五"]


def test_run_review_shows_totals_outliers_and_the_maker_checker_buttons(site: Site):
    out = site.world.run("2026-10")
    site.login("comp")
    page = site.client.get(f"/comp/runs/{out.run_id}").text
    assert 'data-testid="run-total">¥50,800.00<' in page
    assert 'data-testid="submit-run"' in page
    assert 'data-testid="approve-run"' not in page
    assert site.client.post(f"/comp/runs/{out.run_id}/submit").status_code == 303
    site.login("finance")
    page = site.client.get(f"/comp/runs/{out.run_id}").text
    assert 'data-testid="approve-run"' in page
    assert site.client.post(f"/comp/runs/{out.run_id}/approve").status_code == 303
    assert 'data-run-status="approved"' in site.client.get(f"/comp/runs/{out.run_id}").text



def test_a_refused_action_goes_back_to_its_page_with_the_reason_and_changes_nothing(site: Site):
    out = site.world.run("2026-10")
    site.login("comp")
    assert site.client.post(f"/comp/runs/{out.run_id}/submit").status_code == 303
    r = site.client.post(f"/comp/runs/{out.run_id}/approve")  # the maker may not check their own run
    assert r.status_code == 303 and r.headers["location"].startswith(f"/comp/runs/{out.run_id}?error=")
    page = site.client.get(r.headers["location"]).text
    assert 'data-testid="comp-error"' in page and "comp.approve" in page
    assert 'data-run-status="submitted"' in page
    assert site.client.post(f"/comp/runs/{out.run_id}/publish").status_code == 404  # no such action
    site.client.cookies.clear()  # logged out: the login page, with the way back
    assert site.client.post(f"/comp/runs/{out.run_id}/approve").headers["location"].startswith("/login?next=")

def test_the_plan_editor_shows_each_problem_beside_its_line(site: Site):
    site.login("comp")
    bad = SAMPLE_PLAN.replace("rate: 5%", "rate: -5%")
    html = site.client.post("/comp/plans/check", data={"text": bad}).text
    line = bad.splitlines().index("      - {lower: 110%, upper: 120%, rate: -5%}") + 1
    assert f'data-path="components[2].tiers[1].rate" data-line="{line}"' in html
    assert "must not be negative" in html
    refused = site.client.post("/comp/plans/save", data={"text": bad})
    assert refused.status_code == 422
    assert "components[2].tiers[1].rate" in refused.text
    saved = site.client.post("/comp/plans/save", data={"text": SAMPLE_PLAN.replace("rate: 8%", "rate: 9%")})
    assert saved.headers["location"] == "/comp/plans?plan=sales-standard&version=2"


def test_what_if_draws_the_draft_against_the_plan_in_force(site: Site):
    site.world.act("comp", service.save_plan_version, SAMPLE_PLAN.replace("rate: 5%", "rate: 6%"))
    site.login("finance")
    page = site.client.get("/comp/what-if?plan=sales-standard&periods=2026-10").text
    assert 'data-testid="baseline-total">¥50,800.00<' in page
    assert 'data-testid="draft-total">¥50,900.00<' in page
    assert 'id="comp-whatif-data"' in page and 'id="whatif-chart"' in page


def test_a_rep_disputes_a_line_from_the_statement_page_and_comp_admin_answers(site: Site):
    run_id = _approved_october(site)
    line = site.world.statement(run_id, site.world.org.sh1).lines[0]
    site.login("sh1")
    r = site.client.post(f"/comp/lines/{line.id}/dispute", data={"comment": "底薪应为 12,500"})
    assert r.status_code == 303
    dispute_url = r.headers["location"]
    site.login("comp")
    assert (
        site.client.post(f"{dispute_url}/resolve", data={"decision": "reject", "reason": "职级未变"}).status_code == 303
    )
    page = site.client.get(dispute_url).text
    assert 'data-dispute-status="rejected"' in page
    assert "底薪应为 12,500" in page and "驳回：职级未变" in page


def test_the_disputes_inbox_filters_by_status_and_every_page_answers_each_role(site: Site):
    run_id = _approved_october(site)
    line = site.world.statement(run_id, site.world.org.sh1).lines[0]
    site.world.act("sh1", service.open_dispute, line.id, "底薪应为 12,500")
    site.login("comp")
    assert [r[1] for r in table_rows(site.client.get("/comp/disputes?status=open").text, "disputes-table")] == ["张三"]
    assert table_rows(site.client.get("/comp/disputes?status=rejected").text, "disputes-table") == [["没有争议。"]]
    pages = ["/comp/me", "/comp/team", "/comp/disputes", "/comp/awards"]
    for user in ("comp", "finance", "east_mgr", "sh1"):
        site.login(user)
        assert [site.client.get(p).status_code for p in pages] == [200, 200, 200, 200], user
