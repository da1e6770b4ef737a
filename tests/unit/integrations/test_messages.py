"""Notice texts come from the catalogs at read time: Chinese by default, English on request,
and an unknown kind or broken params still read as something."""

from __future__ import annotations

from chanli.integrations import render_notice
from chanli.web.i18n import translations

ZH = translations("zh_CN").gettext
EN = translations("en").gettext


def test_a_churn_warning_reads_in_chinese_with_percent_reasons_and_renewal() -> None:
    params = {"account": "上海客户甲", "probability": 0.7234, "reasons": ["近90天无拜访", "回款逾期"],
              "renewal_due_on": "2026-12-31", "warning_id": 7, "account_id": 42}
    assert render_notice("churn_risk", params, ZH) == (
        "流失预警", "上海客户甲 存在流失风险：72%。主要原因：近90天无拜访；回款逾期。 续约日期 2026-12-31。")


def test_the_same_notice_reads_in_english() -> None:
    params = {"title": "折扣申请", "approval": "discount", "status": "rejected", "decided_by": "王经理",
              "comment": "价格太低", "request_id": 9}
    assert render_notice("approval_decided", params, EN) == (
        "Approval decided", "Your request 折扣申请 (discount approval) was rejected by 王经理. Comment: 价格太低")
    assert render_notice("approval_decided", params, ZH) == (
        "审批结果", "您的申请「折扣申请」（折扣审批）已被 王经理 驳回。 意见：价格太低")


def test_a_reroute_nobody_could_take_says_so() -> None:
    params = {"lead_id": 5, "hours": 24, "previous": "张三", "new": None}
    assert render_notice("lead_sla", params, ZH)[1] == (
        "线索 #5 在 24 小时内未被 张三 首次联系，已改派给 暂无人（等待分配）。")


def test_unknown_kinds_and_broken_params_never_raise() -> None:
    assert render_notice("from_a_newer_version", {}, ZH) == ("通知", "from_a_newer_version")
    assert render_notice("leads_assigned", {}, ZH) == ("新线索", "leads_assigned")
