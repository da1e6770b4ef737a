"""Storage: the declarative base, column types, engine/session factory and the unit of work.

Why this shape: one naming convention keeps constraint names stable across SQLite and
PostgreSQL migrations; money columns are fixed-scale NUMERIC; timestamps are stored in UTC
and always come back timezone-aware; nothing is created at import time, so tests and the
CLI can point the same code at different stores.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, MetaData, Numeric, create_engine, event, exc
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from chanli.core.config import Settings

__all__ = [
    "SYSTEM",
    "Actor",
    "Base",
    "MoneyAmount",
    "Rate",
    "SoftDeleteMixin",
    "TimestampMixin",
    "UTCDateTime",
    "UnitOfWork",
    "make_engine",
    "make_session_factory",
    "session_scope",
    "utcnow",
]

# SQLite keeps NUMERIC as REAL internally; values are re-quantized to the column scale on read
# (exact for amounts below 1e13). PostgreSQL and DuckDB keep them exact.
warnings.filterwarnings("ignore", category=exc.SAWarning, message=".*does \\*not\\* support Decimal.*")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC that always comes back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store timezone-aware UTC timestamps")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class MoneyAmount(TypeDecorator[Decimal]):
    """NUMERIC(18,2): money in the company currency, exact to the fen."""

    impl = Numeric(18, 2, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float refused for a money column; use Decimal")
        return Decimal(value)


class Rate(TypeDecorator[Decimal]):
    """NUMERIC(12,6): rates, weights and percentages (0.035 = 3.5 %)."""

    impl = Numeric(12, 6, asdecimal=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("float refused for a rate column; use Decimal")
        return Decimal(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class SoftDeleteMixin:
    """Money-related rows are never deleted, only marked, so history stays explainable."""

    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def make_engine(settings: Settings) -> Engine:
    url = settings.database_url
    kwargs: dict[str, Any] = {"echo": settings.echo_sql, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, future=True)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is doing the work, frozen into audit records (the name survives renames)."""

    user_id: int | None
    name: str
    request_id: str | None = None


SYSTEM = Actor(user_id=None, name="system")


@dataclass
class UnitOfWork:
    """One transaction. Rolls back unless ``commit()`` was called; events fire only after commit.

    Service functions take a ``UnitOfWork`` and never commit: the caller (a shell, an
    importer, a job) decides where the transaction ends, so several service calls compose
    into one all-or-nothing change.
    """

    session_factory: Callable[[], Session]
    actor: Actor = SYSTEM
    dispatch: Callable[[list[Any]], None] | None = None
    session: Session = field(init=False)
    _events: list[Any] = field(default_factory=list, init=False)
    _committed: bool = field(default=False, init=False)

    def __enter__(self) -> UnitOfWork:
        self.session = self.session_factory()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            if not self._committed:
                self.session.rollback()
        finally:
            self.session.close()

    def queue(self, event_record: Any) -> None:
        """Queue an event to dispatch after a successful commit (notifications, webhooks)."""
        self._events.append(event_record)

    def commit(self) -> None:
        self.session.commit()
        self._committed = True
        events, self._events = self._events, []
        if self.dispatch and events:
            self.dispatch(events)

    def rollback(self) -> None:
        self.session.rollback()
        self._events.clear()


@contextlib.contextmanager
def session_scope(factory: Callable[[], Session]) -> Iterator[Session]:
    """A read-only session for queries; never commits."""
    session = factory()
    try:
        yield session
    finally:
        session.rollback()
        session.close()
