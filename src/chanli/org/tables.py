"""Org tables: company settings, the team tree, people, territories, mentorships."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, Rate, SoftDeleteMixin, TimestampMixin, UTCDateTime

__all__ = ["Company", "Mentorship", "Person", "Team", "Territory"]


class Company(Base, TimestampMixin):
    """One row: the company's currency, fiscal calendar and time zone."""

    __tablename__ = "company"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    fiscal_year_start_month: Mapped[int] = mapped_column(default=1)
    time_zone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    locale: Mapped[str] = mapped_column(String(10), default="zh_CN")

    __table_args__ = (CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fy_month"),)


class Team(Base, TimestampMixin):
    """A node in the org tree: a region, product line, team or squad.

    ``path`` is the materialized chain of ids (``/1/4/9/``) so a subtree is one indexed
    ``LIKE '/1/4/%'`` instead of a recursive walk on every request.
    """

    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="team")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="/", index=True)
    depth: Mapped[int] = mapped_column(default=0)
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("people.id", use_alter=True, name="fk_teams_manager_id_people")
    )
    region_code: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)


class Person(Base, TimestampMixin):
    __tablename__ = "people"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    job_role: Mapped[str] = mapped_column(String(20), default="rep")
    tier: Mapped[str] = mapped_column(String(10), default="new")
    hire_date: Mapped[date | None] = mapped_column(Date)
    leave_date: Mapped[date | None] = mapped_column(Date)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (CheckConstraint("tier IN ('new','core','elite')", name="tier"),)


class Territory(Base, TimestampMixin):
    """A market slice (provinces and/or industries) a team covers; routing matches on it."""

    __tablename__ = "territories"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), index=True)
    provinces: Mapped[str | None] = mapped_column(Text)  # comma-separated 省份
    industries: Mapped[str | None] = mapped_column(Text)


class Mentorship(Base, TimestampMixin, SoftDeleteMixin):
    """师徒协议. Money-related (mentor override), so soft-deleted only."""

    __tablename__ = "mentorships"

    id: Mapped[int] = mapped_column(primary_key=True)
    mentor_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    apprentice_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    override_rate: Mapped[Decimal] = mapped_column(Rate)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        CheckConstraint("override_rate >= 0.05 AND override_rate <= 0.10", name="override_rate"),
        CheckConstraint("mentor_id <> apprentice_id", name="not_self"),
    )
