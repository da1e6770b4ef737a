"""Each robot posts its vendor's documented JSON to a real HTTP server on localhost, signs when
a secret is set, and a robot that is down or refuses is logged, never raised."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
from urllib.parse import parse_qs, urlsplit

import pytest

from chanli.core.config import RobotConfig, Settings
from chanli.integrations import DingTalkRobot, FeishuRobot, WeComRobot, robots_from_settings
from tests.webhooks import Hook

NOW = 1_764_000_000.123  # a fixed clock: 2025-11-24 16:00:00.123 UTC


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_dingtalk_posts_a_text_message(hook: Hook) -> None:
    assert DingTalkRobot(hook.url).send("【产力】流失预警")
    assert hook.received == [
        ("/robot/send?access_token=abc", {"msgtype": "text", "text": {"content": "【产力】流失预警"}})]


def test_dingtalk_with_a_secret_signs_timestamp_and_hmac_in_the_query(hook: Hook) -> None:
    assert DingTalkRobot(hook.url, "SEC123", clock=lambda: NOW).send("hi")
    [(path, _body)] = hook.received
    query = parse_qs(urlsplit(path).query)
    expected = base64.b64encode(hmac.new(b"SEC123", b"1764000000123\nSEC123", hashlib.sha256).digest()).decode()
    assert query == {"access_token": ["abc"], "timestamp": ["1764000000123"], "sign": [expected]}


def test_wecom_posts_a_text_message(hook: Hook) -> None:
    assert WeComRobot(hook.url).send("您有 3 条新线索待联系。")
    assert hook.received[0][1] == {"msgtype": "text", "text": {"content": "您有 3 条新线索待联系。"}}


def test_feishu_posts_text_and_signs_in_the_body(hook: Hook) -> None:
    hook.answer = {"code": 0, "msg": "success"}
    assert FeishuRobot(hook.url).send("a")
    assert FeishuRobot(hook.url, "s3cret", clock=lambda: NOW).send("b")
    expected = base64.b64encode(hmac.new(b"1764000000\ns3cret", b"", hashlib.sha256).digest()).decode()
    assert [body for _path, body in hook.received] == [
        {"msg_type": "text", "content": {"text": "a"}},
        {"timestamp": "1764000000", "sign": expected, "msg_type": "text", "content": {"text": "b"}},
    ]


def test_a_refusal_is_logged_not_raised(hook: Hook, caplog: pytest.LogCaptureFixture) -> None:
    hook.answer = {"errcode": 310000, "errmsg": "sign not match"}
    assert DingTalkRobot(hook.url, "wrong").send("x") is False
    assert "refused" in caplog.text and "sign not match" in caplog.text


def test_a_robot_that_is_down_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    url = f"http://127.0.0.1:{_free_port()}/send"
    for robot in (DingTalkRobot(url, timeout=0.5), WeComRobot(url, timeout=0.5), FeishuRobot(url, timeout=0.5)):
        assert robot.send("x") is False
    assert caplog.text.count("could not be reached") == 3


def test_robots_are_configured_by_one_json_env_var(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHANLI_ROBOTS", json.dumps([
        {"kind": "dingtalk", "url": "https://oapi.dingtalk.com/robot/send?access_token=t", "secret": "SEC1"},
        {"kind": "wecom", "url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "kinds": ["lead_sla"]},
    ]))
    settings = Settings()
    assert settings.robots == [
        RobotConfig(kind="dingtalk", url="https://oapi.dingtalk.com/robot/send?access_token=t", secret="SEC1"),
        RobotConfig(kind="wecom", url="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", kinds=["lead_sla"]),
    ]
    robots = robots_from_settings(settings.robots, timeout=2.0)
    assert [(type(r).__name__, r.kinds) for r in robots] == [
        ("DingTalkRobot", frozenset()), ("WeComRobot", frozenset({"lead_sla"}))]
    monkeypatch.delenv("CHANLI_ROBOTS")
    assert Settings().robots == []  # none by default
