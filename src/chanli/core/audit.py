"""The append-only audit log: who changed what, when, from what to what, and why.

Every change that can move money (plan, target, credit, approval, lock) and every change to
people and permissions calls ``record()`` inside the same transaction, so the log and the
change commit or vanish together. Rows are never updated or deleted: the ORM refuses it.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import JSON, String, Text, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from chanli.core.db import Actor, Base, UTCDateTime, utcnow

__all__ = ["AuditEntry", "AuditTampering", "entries", "record", "snapshot"]


class AuditTampering(Exception):
    """Someone tried to update or delete an audit row."""


class AuditEntry(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column()
    actor_name: Mapped[str] = mapped_column(String(120))
    request_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str] = mapped_column(String(60), index=True)
    object_id: Mapped[str | None] = mapped_column(String(64), index=True)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: Any, fields: list[str] | None = None) -> dict[str, Any]:
    """A JSON-safe dict of an ORM object's column values (or the named ``fields``)."""
    if fields is None:
        fields = [c.key for c in obj.__table__.columns if c.key not in ("created_at", "updated_at")]
    return {f: _jsonable(getattr(obj, f)) for f in fields}


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.user_id,
        actor_name=actor.name,
        request_id=actor.request_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
    )
    json.dumps(entry.before), json.dumps(entry.after)  # fail here, not at flush, on odd values
    session.add(entry)
    return entry


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEntry) and (obj in session.deleted or session.is_modified(obj)):
            raise AuditTampering("the audit log is append-only")


def entries(
    session: Session, *, object_type: str | None = None, object_id: str | None = None, limit: int = 100
) -> list[AuditEntry]:
    """The newest audit entries first, optionally for one object."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if object_type:
        stmt = stmt.where(AuditEntry.object_type == object_type)
    if object_id:
        stmt = stmt.where(AuditEntry.object_id == object_id)
    return list(session.scalars(stmt))
