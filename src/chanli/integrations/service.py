"""Use cases of the inbox and the after-commit handler that fills it.

``Notifier`` is registered on the container's event bus (``bootstrap.build``) for every event
in ``rules.EVENT_TYPES``. The bus calls it only after the change that raised the event has
committed; it looks up what the mapping needs and writes, in its own short unit of work, the
notices and one outbox row per configured group robot (the message in Chinese). The
``integrations.robots`` job posts the outbox (``send_pending``) and retries what failed with
backoff; when a scheduler runs in the process, the notifier wakes that job right after commit,
so messages go out within moments and no request ever waits for a robot. Delivery is at least
once: a crash between a robot's answer and the job's commit sends that message again.
Whatever fails here is logged by the bus and never undoes the change that was reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from itertools import groupby

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from chanli.compensation import queries as comp_queries
from chanli.core.auth import Principal, Role, require
from chanli.core.db import UnitOfWork, utcnow
from chanli.core.events import EventBus
from chanli.integrations import rules
from chanli.integrations.messages import Gettext, render_notice
from chanli.integrations.model import Context, Notice
from chanli.integrations.robots import Robot
from chanli.integrations.tables import Notification, RobotMessage
from chanli.org import NotFound as OrgNotFound
from chanli.org import queries as org_queries
from chanli.process import ApprovalDecided, ApprovalEscalated
from chanli.process import queries as process_queries
from chanli.routing import LeadSlaBreached

__all__ = [
    "NotFound",
    "Notifier",
    "deliver",
    "mark_all_read",
    "mark_read",
    "queue_robot_messages",
    "register",
    "robot_text",
    "send_pending",
]

log = logging.getLogger(__name__)
SYSTEM_PRINCIPAL = Principal(user_id=0, username="notifier", display_name="notifier", role=Role.ADMIN)
ROBOT_LINES = 20  # a group chat gets a summary, not hundreds of lines
RETRY_MINUTES = (1, 5, 15, 60, 240)  # wait after failed attempt 1, 2, …; the attempt after the last gives up
MAX_ATTEMPTS = len(RETRY_MINUTES) + 1


class NotFound(OrgNotFound):
    """A notification that does not exist or is someone else's (404, alike)."""


def deliver(uow: UnitOfWork, notices: Sequence[Notice], *, now: datetime | None = None) -> int:
    """Store ``notices`` in their recipients' inboxes (in the caller's unit of work)."""
    if not notices:
        return 0
    at = now or utcnow()
    uow.session.execute(insert(Notification), [
        {"person_id": n.person_id, "kind": n.kind.value, "params": n.params, "link": n.link,
         "read_at": None, "created_at": at, "updated_at": at} for n in notices
    ])
    return len(notices)


def _own(s: Session, principal: Principal, notification_id: int) -> Notification:
    row = s.get(Notification, notification_id)
    if row is None or principal.person_id is None or row.person_id != principal.person_id:
        raise NotFound(f"notification {notification_id} does not exist")
    return row


def mark_read(uow: UnitOfWork, principal: Principal, notification_id: int, *, now: datetime) -> None:
    """Mark one of the caller's notices read (idempotent). Someone else's answers like a missing one."""
    require(principal, "notifications.read")
    row = _own(uow.session, principal, notification_id)
    if row.read_at is None:
        row.read_at = now
        uow.session.flush()


def mark_all_read(uow: UnitOfWork, principal: Principal, *, now: datetime) -> int:
    """Mark every unread notice of the caller read; how many were unread."""
    require(principal, "notifications.read")
    if principal.person_id is None:
        return 0
    result = uow.session.execute(
        update(Notification).where(Notification.person_id == principal.person_id, Notification.read_at.is_(None))
        .values(read_at=now, updated_at=now), execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# --- the after-commit handler -----------------------------------------------------------------


def context_for(s: Session, event: object) -> Context:
    """Look up what ``rules.notices_for`` needs beyond the event (read-only)."""
    if isinstance(event, LeadSlaBreached):
        return Context(names=org_queries.person_names(s, [event.previous_owner_id, event.new_owner_id]))
    if isinstance(event, ApprovalDecided | ApprovalEscalated):
        row = process_queries.get_approval(s, SYSTEM_PRINCIPAL, event.request_id)
        titles = {event.request_id: row.title} if row else {}
        names = org_queries.person_names(s, [event.from_person_id]) if isinstance(event, ApprovalEscalated) else {}
        return Context(names=names, approval_titles=titles)
    if isinstance(event, rules.RunApproved):
        people = tuple(st.person_id for st in comp_queries.run_statements(s, SYSTEM_PRINCIPAL, event.run_id))
        return Context(run_people=people)
    return Context()


def robot_text(notices: Sequence[Notice], names: dict[int, str], gettext: Gettext) -> str:
    """One chat message for the notices of one event: a title line per kind, a line per person."""
    lines: list[str] = []
    for kind, group in groupby(notices, key=lambda n: n.kind):
        items = list(group)
        lines.append(f"【{gettext('Chanli')}】{render_notice(kind, items[0].params, gettext)[0]}")
        for n in items[:ROBOT_LINES]:
            lines.append(f"· {names.get(n.person_id, f'#{n.person_id}')}：{render_notice(kind, n.params, gettext)[1]}")
        if len(items) > ROBOT_LINES:
            lines.append(f"… +{len(items) - ROBOT_LINES}")
    return "\n".join(lines)


def queue_robot_messages(uow: UnitOfWork, robots: Sequence[Robot], notices: Sequence[Notice],
                         names: dict[int, str], gettext: Gettext, *, now: datetime) -> int:
    """One outbox row per robot that wants any of ``notices`` (in the caller's unit of work)."""
    rows = []
    for robot in robots:
        chosen = [n for n in notices if not robot.kinds or n.kind.value in robot.kinds]
        if chosen:
            rows.append({"robot": robot.key, "text": robot_text(chosen, names, gettext), "attempts": 0,
                         "next_attempt_at": now, "sent_at": None, "failed_at": None, "last_error": None,
                         "created_at": now, "updated_at": now})
    if rows:
        uow.session.execute(insert(RobotMessage), rows)
    return len(rows)


def send_pending(uow: UnitOfWork, robots: Sequence[Robot], *, now: datetime, limit: int = 100) -> dict[str, int]:
    """Post the outbox messages due at ``now``, oldest first. A failure waits ``RETRY_MINUTES``
    before the next attempt and is given up after ``MAX_ATTEMPTS`` (or at once when its robot is
    no longer configured); both keep the reason in ``last_error``."""
    by_key = {robot.key: robot for robot in robots}
    due = uow.session.scalars(
        select(RobotMessage)
        .where(RobotMessage.sent_at.is_(None), RobotMessage.failed_at.is_(None), RobotMessage.next_attempt_at <= now)
        .order_by(RobotMessage.id)
        .limit(limit)
    ).all()
    counts = {"sent": 0, "retrying": 0, "failed": 0}
    for message in due:
        robot = by_key.get(message.robot)
        error = robot.post(message.text) if robot is not None else "robot no longer configured"
        message.attempts += 1
        message.last_error = error
        if error is None:
            message.sent_at = now
            counts["sent"] += 1
        elif robot is None or message.attempts >= MAX_ATTEMPTS:
            message.failed_at = now
            counts["failed"] += 1
        else:
            message.next_attempt_at = now + timedelta(minutes=RETRY_MINUTES[message.attempts - 1])
            counts["retrying"] += 1
    uow.session.flush()
    return counts


class Notifier:
    """The event handler: event → notices → inbox rows and robot outbox rows (own unit of work)
    → a wake-up call for the robot job, when the process has one (``wake``)."""

    def __init__(self, session_factory: Callable[[], Session], *, robots: Sequence[Robot] = (),
                 gettext: Gettext = lambda m: m, wake: Callable[[], None] | None = None) -> None:
        self.session_factory = session_factory
        self.robots = list(robots)
        self.gettext = gettext
        self.wake = wake

    def __call__(self, event: object) -> None:
        with UnitOfWork(self.session_factory) as uow:  # no dispatch: writing notices raises no events
            notices = rules.notices_for(event, context_for(uow.session, event))
            if not notices:
                return
            at = utcnow()
            deliver(uow, notices, now=at)
            queued = 0
            if self.robots:
                names = org_queries.person_names(uow.session, [n.person_id for n in notices])
                queued = queue_robot_messages(uow, self.robots, notices, names, self.gettext, now=at)
            uow.commit()
        if queued and self.wake is not None:
            self.wake()


def register(bus: EventBus, notifier: Notifier) -> None:
    """Subscribe ``notifier`` to every event that tells someone something."""
    for event_type in rules.EVENT_TYPES:
        bus.register(event_type, notifier)
