"""integrations — telling people: the in-app inbox (通知) and group robots (DingTalk 钉钉,
WeCom 企业微信, Feishu 飞书), fed after commit by the domain events the capabilities queue.
See ``docs.md``.

Shells import from here only: the values below, ``rules`` (event → notices, pure),
``messages`` (notice text from the catalogs), ``service`` (the handler and inbox use cases),
``queries`` (the caller's inbox) and ``robots`` (the vendor channels).
"""

from __future__ import annotations

from chanli.integrations import messages, queries, robots, rules, service
from chanli.integrations.messages import render_notice
from chanli.integrations.model import Context, Notice, NoticeKind
from chanli.integrations.queries import NotificationRow
from chanli.integrations.robots import DingTalkRobot, FeishuRobot, Robot, WeComRobot, robots_from_settings
from chanli.integrations.rules import notices_for
from chanli.integrations.service import NotFound, Notifier, register

__all__ = [
    "Context",
    "DingTalkRobot",
    "FeishuRobot",
    "NotFound",
    "Notice",
    "NoticeKind",
    "NotificationRow",
    "Notifier",
    "Robot",
    "WeComRobot",
    "messages",
    "notices_for",
    "queries",
    "register",
    "render_notice",
    "robots",
    "robots_from_settings",
    "rules",
    "service",
]
