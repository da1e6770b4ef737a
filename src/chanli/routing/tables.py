"""Routing tables: policies per team, reps' routing settings (cap, skills), the leave
calendar, round-robin state per queue, and every assignment with its explanation and SLA.

Keyed by person/lead id rather than new CRM columns: the CRM keeps the lead's owner, routing
keeps how and why it got one.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, TimestampMixin, UTCDateTime

__all__ = ["LeadAssignment", "LeadInterest", "Leave", "PolicyRow", "RepSetting", "RoundRobinState"]


class PolicyRow(Base, TimestampMixin):
    """A team's routing policy (``team_id`` None = the company default)."""

    __tablename__ = "routing_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)


class RepSetting(Base, TimestampMixin):
    """A rep's own cap on open leads and their industry / product skills (comma-separated)."""

    __tablename__ = "routing_rep_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), unique=True)
    capacity: Mapped[int | None] = mapped_column()
    industries: Mapped[str | None] = mapped_column(Text)
    products: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity"),)


class Leave(Base, TimestampMixin):
    """The leave calendar: a rep is skipped by routing on days ``first_day``…``last_day``."""

    __tablename__ = "routing_leaves"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str | None] = mapped_column(String(120))

    __table_args__ = (CheckConstraint("last_day >= first_day", name="span"),)


class RoundRobinState(Base):
    """Per queue, the sequence number of each rep's last assignment (see ``RoutingState``)."""

    __tablename__ = "routing_rr_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    last_seq: Mapped[int] = mapped_column()

    __table_args__ = (UniqueConstraint("queue", "person_id", name="uq_routing_rr_state_queue_person"),)


class LeadInterest(Base):
    """The product a lead asked about (web forms capture it; the CRM lead has no such field)."""

    __tablename__ = "routing_lead_interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), unique=True)
    product: Mapped[str] = mapped_column(String(80))


class LeadAssignment(Base):
    """One routing decision. ``current`` marks the lead's live assignment; an SLA re-route
    closes the old one (``breached_at``) and opens a new one."""

    __tablename__ = "routing_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))
    queue: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(20), default="initial")  # initial / sla_reroute
    explanation: Mapped[str] = mapped_column(Text)
    reasons: Mapped[list[Any]] = mapped_column(JSON)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    sla_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    current: Mapped[bool] = mapped_column(default=True)
    policy_version: Mapped[int] = mapped_column(default=1)


Index("ix_routing_assignments_sla", LeadAssignment.current, LeadAssignment.sla_due_at)
