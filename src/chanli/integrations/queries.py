"""Scoped reads of the inbox: a person sees their own notices only, whatever their role (the
back office included: a notice is addressed, not shared). A login without a person has none.
The group-robot outbox is the back office's to check (``robot_outbox``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from chanli.core.auth import Principal, require
from chanli.integrations.tables import Notification, RobotMessage

__all__ = ["OUTBOX_STATES", "NotificationRow", "RobotMessageRow", "get_mine", "list_mine", "robot_outbox",
           "unread_count"]
OUTBOX_STATES = ("waiting", "sent", "failed")


@dataclass(frozen=True, slots=True)
class NotificationRow:
    id: int
    kind: str
    params: dict[str, Any]
    link: str
    created_at: datetime
    read_at: datetime | None

    @property
    def unread(self) -> bool:
        return self.read_at is None


def _row(n: Notification) -> NotificationRow:
    return NotificationRow(n.id, n.kind, dict(n.params or {}), n.link, n.created_at, n.read_at)


def get_mine(s: Session, principal: Principal, notification_id: int) -> NotificationRow | None:
    """One of the caller's notices; someone else's is ``None``, like a missing one."""
    require(principal, "notifications.read")
    n = s.get(Notification, notification_id)
    if n is None or principal.person_id is None or n.person_id != principal.person_id:
        return None
    return _row(n)


def list_mine(s: Session, principal: Principal, *, unread_only: bool = False, limit: int = 50,
              offset: int = 0) -> list[NotificationRow]:
    """The caller's notices, newest first."""
    require(principal, "notifications.read")
    if principal.person_id is None:
        return []
    stmt = select(Notification).where(Notification.person_id == principal.person_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit).offset(offset)
    return [_row(n) for n in s.scalars(stmt)]


def unread_count(s: Session, principal: Principal) -> int:
    require(principal, "notifications.read")
    if principal.person_id is None:
        return 0
    return int(s.scalar(select(func.count()).select_from(Notification).where(
        Notification.person_id == principal.person_id, Notification.read_at.is_(None))) or 0)


@dataclass(frozen=True, slots=True)
class RobotMessageRow:
    id: int
    robot: str
    text: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    last_error: str | None

    @property
    def state(self) -> str:
        """``sent``, ``failed`` (given up) or ``waiting`` (not tried yet, or retrying)."""
        return "sent" if self.sent_at else "failed" if self.failed_at else "waiting"


def robot_outbox(
    s: Session, principal: Principal, *, state: str | None = None, limit: int = 50
) -> list[RobotMessageRow]:
    """Robot messages, newest first; ``state`` keeps one of ``OUTBOX_STATES``."""
    require(principal, "notifications.outbox")
    if state is not None and state not in OUTBOX_STATES:
        raise ValueError(f"unknown state {state!r}; one of {', '.join(OUTBOX_STATES)}")
    stmt = select(RobotMessage)
    if state == "sent":
        stmt = stmt.where(RobotMessage.sent_at.is_not(None))
    elif state == "failed":
        stmt = stmt.where(RobotMessage.failed_at.is_not(None))
    elif state == "waiting":
        stmt = stmt.where(RobotMessage.sent_at.is_(None), RobotMessage.failed_at.is_(None))
    stmt = stmt.order_by(RobotMessage.id.desc()).limit(limit)
    return [RobotMessageRow(m.id, m.robot, m.text, m.attempts, m.created_at, m.next_attempt_at, m.sent_at,
                            m.failed_at, m.last_error) for m in s.scalars(stmt)]
