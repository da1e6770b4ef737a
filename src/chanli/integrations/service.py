"""Use cases of the inbox and the after-commit handler that fills it.

``Notifier`` is registered on the container's event bus (``bootstrap.build``) for every event
in ``rules.EVENT_TYPES``. The bus calls it only after the change that raised the event has
committed; it looks up what the mapping needs, writes the notices in its own short unit of
work, and then posts them to the configured group robots in Chinese. Whatever fails there is
logged by the bus and never undoes the change that was reported.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from itertools import groupby

from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from chanli.compensation import queries as comp_queries
from chanli.core.auth import Principal, Role, require
from chanli.core.db import UnitOfWork, utcnow
from chanli.core.events import EventBus
from chanli.integrations import rules
from chanli.integrations.messages import Gettext, render_notice
from chanli.integrations.model import Context, Notice
from chanli.integrations.robots import Robot
from chanli.integrations.tables import Notification
from chanli.org import NotFound as OrgNotFound
from chanli.org import queries as org_queries
from chanli.process import ApprovalDecided, ApprovalEscalated
from chanli.process import queries as process_queries
from chanli.routing import LeadSlaBreached

__all__ = ["NotFound", "Notifier", "deliver", "mark_all_read", "mark_read", "register", "robot_text"]

log = logging.getLogger(__name__)
SYSTEM_PRINCIPAL = Principal(user_id=0, username="notifier", display_name="notifier", role=Role.ADMIN)
ROBOT_LINES = 20  # a group chat gets a summary, not hundreds of lines


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


def _names(s: Session, ids: Iterable[int | None]) -> dict[int, str]:
    out = {}
    for pid in sorted({i for i in ids if i is not None}):
        row = org_queries.get_person(s, SYSTEM_PRINCIPAL, pid)
        if row is not None:
            out[pid] = row.name
    return out


def context_for(s: Session, event: object) -> Context:
    """Look up what ``rules.notices_for`` needs beyond the event (read-only)."""
    if isinstance(event, LeadSlaBreached):
        return Context(names=_names(s, [event.previous_owner_id, event.new_owner_id]))
    if isinstance(event, ApprovalDecided | ApprovalEscalated):
        row = process_queries.get_approval(s, SYSTEM_PRINCIPAL, event.request_id)
        titles = {event.request_id: row.title} if row else {}
        names = _names(s, [event.from_person_id]) if isinstance(event, ApprovalEscalated) else {}
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


class Notifier:
    """The event handler: event → notices → inbox rows (own unit of work) → group robots."""

    def __init__(self, session_factory: Callable[[], Session], *, robots: Sequence[Robot] = (),
                 gettext: Gettext = lambda m: m) -> None:
        self.session_factory = session_factory
        self.robots = list(robots)
        self.gettext = gettext

    def __call__(self, event: object) -> None:
        with UnitOfWork(self.session_factory) as uow:  # no dispatch: writing notices raises no events
            notices = rules.notices_for(event, context_for(uow.session, event))
            if not notices:
                return
            deliver(uow, notices)
            names = _names(uow.session, [n.person_id for n in notices]) if self.robots else {}
            uow.commit()
        for robot in self.robots:
            chosen = [n for n in notices if not robot.kinds or n.kind.value in robot.kinds]
            if chosen:
                robot.send(robot_text(chosen, names, self.gettext))


def register(bus: EventBus, notifier: Notifier) -> None:
    """Subscribe ``notifier`` to every event that tells someone something."""
    for event_type in rules.EVENT_TYPES:
        bus.register(event_type, notifier)
