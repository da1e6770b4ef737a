"""CRM tables: accounts, contacts, leads, opportunities and their stage history, activities,
orders and lines, payments, renewals, feedback, call records, products.

Money rows (opportunities, orders, lines, payments, renewals) are soft-deleted only.
Business dates (signed, received) are ``DATE`` in the company's calendar; moments (lead
created, activity start) are UTC timestamps.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, MoneyAmount, Rate, SoftDeleteMixin, TimestampMixin, UTCDateTime

__all__ = [
    "Account",
    "Activity",
    "CallRecord",
    "Contact",
    "Feedback",
    "Lead",
    "Opportunity",
    "Order",
    "OrderLine",
    "Payment",
    "Product",
    "Renewal",
    "StageChange",
]


class Product(Base, TimestampMixin):
    __tablename__ = "products"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    series: Mapped[str | None] = mapped_column(String(80))
    list_price: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    active: Mapped[bool] = mapped_column(default=True)


class Account(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    industry: Mapped[str | None] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(80))  # 华东 / 华北 …
    province: Mapped[str | None] = mapped_column(String(40))
    territory_id: Mapped[int | None] = mapped_column(ForeignKey("territories.id"))
    grade: Mapped[str | None] = mapped_column(String(2))
    lifecycle_status: Mapped[str] = mapped_column(String(20), default="prospect")
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    employees: Mapped[int | None] = mapped_column()
    annual_revenue: Mapped[Decimal | None] = mapped_column(MoneyAmount)
    year_established: Mapped[int | None] = mapped_column()
    parent_account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))

    __table_args__ = (CheckConstraint("grade IS NULL OR grade IN ('A','B','C')", name="grade"),)


class Contact(Base, TimestampMixin):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    title: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    is_decision_maker: Mapped[bool] = mapped_column(default=False)


class Lead(Base, TimestampMixin):
    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    company_name: Mapped[str] = mapped_column(String(200))
    contact_name: Mapped[str | None] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(40))
    source: Mapped[str | None] = mapped_column(String(60))  # 官网 / 展会 / 转介绍 …
    channel: Mapped[str | None] = mapped_column(String(60))  # 线上 / 线下 / 电话 …
    industry: Mapped[str | None] = mapped_column(String(80))
    region: Mapped[str | None] = mapped_column(String(80))
    province: Mapped[str | None] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    received_on: Mapped[date] = mapped_column(Date, index=True)  # business date in the company time zone
    first_contacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))


class Opportunity(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = "opportunities"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    stage: Mapped[str] = mapped_column(String(30), default="prospecting", index=True)
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    probability: Mapped[Decimal] = mapped_column(Rate, default=Decimal("0.1"))
    created_on: Mapped[date] = mapped_column(Date, index=True)
    engaged_on: Mapped[date | None] = mapped_column(Date)
    expected_close: Mapped[date | None] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date, index=True)
    lost_reason: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("probability >= 0 AND probability <= 1", name="probability"),)


class StageChange(Base):
    """Stage history: one row per move, so cycle time and stage durations can be measured."""

    __tablename__ = "opportunity_stage_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(ForeignKey("opportunities.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(String(30))
    to_stage: Mapped[str] = mapped_column(String(30))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    note: Mapped[str | None] = mapped_column(Text)


class Activity(Base, TimestampMixin):
    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"), index=True)
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)  # business date in the company time zone
    duration_min: Mapped[int] = mapped_column(default=0)
    outcome: Mapped[str | None] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (CheckConstraint("kind IN ('visit','call','meeting','email','demo')", name="kind"),)


class Order(Base, TimestampMixin, SoftDeleteMixin):
    """An order/contract. ``net_amount`` is the sum of its rounded lines (kept in step by the
    service), so set-based revenue sums never need the lines."""

    __tablename__ = "orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    signed_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    cancelled_on: Mapped[date | None] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    net_amount: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))
    is_renewal: Mapped[bool] = mapped_column(default=False)
    payment_due_on: Mapped[date | None] = mapped_column(Date)

    __table_args__ = (Index("ix_orders_owner_signed", "owner_id", "signed_on"),)


class OrderLine(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    list_price: Mapped[Decimal] = mapped_column(MoneyAmount)
    discount_rate: Mapped[Decimal] = mapped_column(Rate, default=Decimal(0))
    net_amount: Mapped[Decimal] = mapped_column(MoneyAmount)

    __table_args__ = (CheckConstraint("discount_rate >= 0 AND discount_rate <= 1", name="discount"),)


class Payment(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = "payments"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    received_on: Mapped[date] = mapped_column(Date, index=True)
    method: Mapped[str | None] = mapped_column(String(40))


class Renewal(Base, TimestampMixin, SoftDeleteMixin):
    """A renewal due on a contract and what became of it (renewed / churned / pending)."""

    __tablename__ = "renewals"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    original_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    renewal_order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    due_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    amount: Mapped[Decimal] = mapped_column(MoneyAmount, default=Decimal(0))


class Feedback(Base, TimestampMixin):
    __tablename__ = "feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    received_on: Mapped[date] = mapped_column(Date, index=True)
    satisfaction: Mapped[int | None] = mapped_column()
    is_complaint: Mapped[bool] = mapped_column(default=False)
    category: Mapped[str | None] = mapped_column(String(60))
    text: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("satisfaction IS NULL OR (satisfaction >= 0 AND satisfaction <= 100)", name="satisfaction"),
    )


class CallRecord(Base, TimestampMixin):
    __tablename__ = "call_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    opportunity_id: Mapped[int | None] = mapped_column(ForeignKey("opportunities.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    occurred_on: Mapped[date] = mapped_column(Date, index=True)  # business date in the company time zone
    duration_s: Mapped[int] = mapped_column(default=0)
    direction: Mapped[str] = mapped_column(String(10), default="outbound")
    transcript: Mapped[str | None] = mapped_column(Text)
