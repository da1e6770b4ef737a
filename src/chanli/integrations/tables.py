"""The in-app inbox: one row per notice per person. Text is rendered on read (``messages``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, TimestampMixin, UTCDateTime

__all__ = ["Notification"]


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
