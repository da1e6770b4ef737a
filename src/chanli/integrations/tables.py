"""The in-app inbox: one row per notice per person. Text is rendered on read (``messages``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, TimestampMixin, UTCDateTime

__all__ = ["Notification", "RobotMessage"]


class Notification(Base, TimestampMixin):
    """A notice for one person; ``read_at`` is set when they read it (or mark all read)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    link: Mapped[str] = mapped_column(String(300))
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_notifications_person_id_read_at", "person_id", "read_at"),)


class RobotMessage(Base, TimestampMixin):
    """The outbox of group-robot messages: written with the inbox rows, sent by the
    ``integrations.robots`` job (and woken right after commit when a scheduler runs), retried
    with backoff until ``sent_at`` or, after the last attempt, ``failed_at``."""

    __tablename__ = "robot_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    robot: Mapped[str] = mapped_column(String(80))  # Robot.key, never the URL (it holds the token)
    text: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (Index("ix_robot_messages_sent_at_next_attempt_at", "sent_at", "next_attempt_at"),)
