"""Group robots (群机器人): DingTalk, WeCom (企业微信) and Feishu/Lark custom bots. Each is a small
class behind the ``Robot`` protocol that formats a text message in its vendor's JSON shape and
POSTs it to the webhook URL with a short timeout. A robot that is down, slow or refuses the
message is logged and never raised: the change it reports is already committed. Messages reach
robots through the outbox (``service.queue_robot_messages`` / ``service.send_pending``), so a
robot that is down delays no request and loses nothing: the ``integrations.robots`` job retries.

Vendor shapes (from their custom-robot docs):

- DingTalk: ``{"msgtype": "text", "text": {"content": …}}``; with a secret (加签) the URL gets
  ``timestamp`` (ms) and ``sign`` = urlencoded base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")).
- WeCom: ``{"msgtype": "text", "text": {"content": …}}``; the key is in the URL, no signing.
- Feishu: ``{"msg_type": "text", "content": {"text": …}}``; with a secret (签名校验) the body gets
  ``timestamp`` (s) and ``sign`` = base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg="")).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import Any, Protocol
from urllib.parse import quote_plus

import httpx

from chanli.core.config import RobotConfig

__all__ = ["DingTalkRobot", "FeishuRobot", "Robot", "WeComRobot", "robots_from_settings"]

log = logging.getLogger(__name__)
Clock = Callable[[], float]


class Robot(Protocol):
    kind: str
    kinds: frozenset[str]

    @property
    def key(self) -> str:
        """Names this robot in the outbox without storing its URL (which holds the token)."""
        ...

    def post(self, text: str) -> str | None:
        """Post ``text``; ``None`` when the vendor accepted it, else why not. Never raises."""
        ...

    def send(self, text: str) -> bool:
        """Post ``text``; ``True`` when the vendor accepted it. Never raises."""
        ...


def _hmac_b64(key: bytes, msg: bytes) -> str:
    return base64.b64encode(hmac.new(key, msg, hashlib.sha256).digest()).decode("ascii")


class _Webhook(ABC):
    """What every vendor's robot shares: signing inputs, the POST, reading the vendor's error code."""

    kind = "webhook"

    def __init__(self, url: str, secret: str | None = None, *, timeout: float = 3.0, kinds: Sequence[str] = (),
                 clock: Clock = time.time) -> None:
        self.url = url
        self.secret = secret or None
        self.timeout = timeout
        self.kinds = frozenset(kinds)
        self.clock = clock

    @abstractmethod
    def request(self, text: str) -> tuple[str, dict[str, Any]]:
        """The URL (with signing parameters where the vendor wants them there) and JSON body."""

    @property
    def key(self) -> str:
        return f"{self.kind}:{hashlib.sha256(self.url.encode()).hexdigest()[:12]}"

    def post(self, text: str) -> str | None:
        url, body = self.request(text)
        try:
            response = httpx.post(url, json=body, timeout=self.timeout)
            response.raise_for_status()
            answer = response.json() if response.content else {}
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("%s robot could not be reached: %s", self.kind, exc)
            return f"unreachable: {exc}"[:300]
        code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0))) if isinstance(answer, dict) else 0
        if code not in (0, None):
            log.warning("%s robot refused the message: %s", self.kind, answer)
            return f"refused: {answer}"[:300]
        return None

    def send(self, text: str) -> bool:
        return self.post(text) is None


class DingTalkRobot(_Webhook):
    kind = "dingtalk"

    def request(self, text: str) -> tuple[str, dict[str, Any]]:
        url = self.url
        if self.secret:
            timestamp = str(int(self.clock() * 1000))
            sign = _hmac_b64(self.secret.encode(), f"{timestamp}\n{self.secret}".encode())
            url += ("&" if "?" in url else "?") + f"timestamp={timestamp}&sign={quote_plus(sign)}"
        return url, {"msgtype": "text", "text": {"content": text}}


class WeComRobot(_Webhook):
    kind = "wecom"

    def request(self, text: str) -> tuple[str, dict[str, Any]]:
        return self.url, {"msgtype": "text", "text": {"content": text}}


class FeishuRobot(_Webhook):
    kind = "feishu"

    def request(self, text: str) -> tuple[str, dict[str, Any]]:
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": text}}
        if self.secret:
            timestamp = str(int(self.clock()))
            body = {"timestamp": timestamp, "sign": _hmac_b64(f"{timestamp}\n{self.secret}".encode(), b""), **body}
        return self.url, body


_CLASSES: dict[str, type[_Webhook]] = {"dingtalk": DingTalkRobot, "wecom": WeComRobot, "feishu": FeishuRobot}


def robots_from_settings(configs: Sequence[RobotConfig], *, timeout: float = 3.0) -> list[Robot]:
    return [_CLASSES[c.kind](c.url, c.secret, timeout=timeout, kinds=c.kinds) for c in configs]
