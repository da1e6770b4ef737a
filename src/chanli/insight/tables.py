"""Insight tables: trained models (with their cards), churn scores, warnings and the
interventions logged against them, lead scores, call analyses and their topics, demand
clustering runs, and the market facts people enter or import (addressable accounts,
competitor events, marketing spend).

Why models live in the database as well as in a folder: the web tier is stateless (several
``chanli serve`` processes behind one load balancer), so the artifact every process scores
with is the one row marked ``active``; the folder under ``model_dir`` keeps the same
``model.joblib`` + ``MODEL_CARD.md`` for people to read and copy.

Scores, warnings and analyses keep the model they came from, so any figure can be explained
and recomputed (DESIGN §1).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from chanli.core.db import Base, MoneyAmount, Rate, TimestampMixin, UTCDateTime, utcnow

__all__ = [
    "AddressableMarket",
    "CallAnalysis",
    "CallTopic",
    "ChurnScore",
    "ChurnWarning",
    "CompetitorEvent",
    "DemandCluster",
    "DemandDoc",
    "DemandRun",
    "Intervention",
    "LeadScoreRow",
    "MarketingSpend",
    "TrainedModel",
]

Score = Numeric(6, 4)  # an emotion score −1…+1 or a share 0…1, four places


class TrainedModel(Base):
    """One trained model: its metrics, card and artifact. One ``active`` row per kind scores."""

    __tablename__ = "insight_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)  # churn / lead
    version: Mapped[int] = mapped_column(Integer)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_by: Mapped[str] = mapped_column(String(120))
    rows: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[dict[str, Any]] = mapped_column(JSON)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    card: Mapped[str] = mapped_column(Text)
    folder: Mapped[str | None] = mapped_column(String(500))
    artifact: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (UniqueConstraint("kind", "version"),)


class ChurnScore(Base):
    """An account's churn probability on a day, from one model, with its top reasons."""

    __tablename__ = "insight_churn_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("insight_models.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    as_of: Mapped[date] = mapped_column(Date, index=True)
    probability: Mapped[Decimal] = mapped_column(Rate)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    renewal_due_on: Mapped[date | None] = mapped_column(Date)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("model_id", "account_id", "as_of"),)


class ChurnWarning(Base, TimestampMixin):
    """A high-churn-risk warning (高流失风险预警): raised once per episode, worked by the owner,
    closed as saved or lost (by the owner, or by the renewal's own outcome)."""

    __tablename__ = "insight_churn_warnings"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("insight_models.id"))
    raised_on: Mapped[date] = mapped_column(Date, index=True)
    last_scored_on: Mapped[date] = mapped_column(Date)
    renewal_due_on: Mapped[date | None] = mapped_column(Date)
    probability: Mapped[Decimal] = mapped_column(Rate)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    outcome_on: Mapped[date | None] = mapped_column(Date)
    outcome_note: Mapped[str | None] = mapped_column(Text)
    settled_by: Mapped[str | None] = mapped_column(String(20))  # owner / renewal

    __table_args__ = (
        CheckConstraint("status IN ('open','in_progress','saved','lost')", name="status"),
        Index("ix_insight_churn_warnings_account_status", "account_id", "status"),
    )


class Intervention(Base):
    """Something the owner did to keep the customer (电话关怀, 高层拜访, 问题整改 …)."""

    __tablename__ = "insight_interventions"

    id: Mapped[int] = mapped_column(primary_key=True)
    warning_id: Mapped[int] = mapped_column(ForeignKey("insight_churn_warnings.id"), index=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    happened_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LeadScoreRow(Base):
    """A lead's intent score from one model, with reasons; ``leads.score`` holds the latest."""

    __tablename__ = "insight_lead_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    lead_id: Mapped[int] = mapped_column(ForeignKey("leads.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("insight_models.id"))
    score: Mapped[int] = mapped_column(Integer)
    probability: Mapped[Decimal] = mapped_column(Rate)
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("lead_id", "model_id"),)


class CallAnalysis(Base):
    """A call transcript scored: per-utterance emotion, call and customer emotion, trajectory,
    keywords and the coaching suggestions of its topics."""

    __tablename__ = "insight_call_analyses"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call_records.id"), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    occurred_on: Mapped[date] = mapped_column(Date, index=True)
    model_version: Mapped[str] = mapped_column(String(60))
    call_score: Mapped[Decimal] = mapped_column(Score)
    customer_score: Mapped[Decimal | None] = mapped_column(Score)
    emotion: Mapped[str] = mapped_column(String(10))  # 积极 / 中性 / 消极
    rep_talk_share: Mapped[Decimal | None] = mapped_column(Score)
    utterances: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    trajectory: Mapped[list[float]] = mapped_column(JSON)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    suggestions: Mapped[list[str]] = mapped_column(JSON)
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CallTopic(Base):
    """A topic found in a call (one row per call and topic), for per-rep GROUP BYs."""

    __tablename__ = "insight_call_topics"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call_records.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    occurred_on: Mapped[date] = mapped_column(Date)
    topic_code: Mapped[str] = mapped_column(String(40))
    topic_name: Mapped[str] = mapped_column(String(40))
    evidence: Mapped[list[str]] = mapped_column(JSON)

    __table_args__ = (Index("ix_insight_call_topics_person_topic", "person_id", "topic_code"),)


class DemandRun(Base):
    """One clustering of customer needs; the newest run is the one shown."""

    __tablename__ = "insight_demand_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ran_by: Mapped[str] = mapped_column(String(120))
    documents: Mapped[int] = mapped_column(Integer)
    clusters: Mapped[int] = mapped_column(Integer)


class DemandCluster(Base):
    __tablename__ = "insight_demand_clusters"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("insight_demand_runs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    terms: Mapped[list[str]] = mapped_column(JSON)
    size: Mapped[int] = mapped_column(Integer)


class DemandDoc(Base):
    """A need as said (a customer utterance or an opportunity note) and its cluster."""

    __tablename__ = "insight_demand_docs"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("insight_demand_runs.id"), index=True)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("insight_demand_clusters.id"), index=True)
    source: Mapped[str] = mapped_column(String(20))  # call / opportunity
    source_id: Mapped[int] = mapped_column(Integer)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    occurred_on: Mapped[date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)


class AddressableMarket(Base, TimestampMixin):
    """Addressable accounts (可触达客户数) of a region and industry, entered or imported."""

    __tablename__ = "insight_addressable_markets"

    id: Mapped[int] = mapped_column(primary_key=True)
    region: Mapped[str] = mapped_column(String(80))
    industry: Mapped[str] = mapped_column(String(80))
    addressable_accounts: Mapped[int] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (
        UniqueConstraint("region", "industry"),
        CheckConstraint("addressable_accounts >= 0", name="addressable"),
    )


class CompetitorEvent(Base, TimestampMixin):
    """A competitor's move (降价, 新品发布, 促销, 挖人, 合作) on a day, maybe in one region."""

    __tablename__ = "insight_competitor_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    competitor: Mapped[str] = mapped_column(String(120))
    happened_on: Mapped[date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    description: Mapped[str] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(String(80))
    entered_by: Mapped[str] = mapped_column(String(120))


class MarketingSpend(Base, TimestampMixin):
    """Money spent on a lead channel (and campaign) in a month; ROI sets it against the won
    revenue of that channel's leads."""

    __tablename__ = "insight_marketing_spend"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[date] = mapped_column(Date, index=True)  # first day of the month
    channel: Mapped[str] = mapped_column(String(60))
    campaign: Mapped[str] = mapped_column(String(120), default="")
    amount: Mapped[Decimal] = mapped_column(MoneyAmount)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")

    __table_args__ = (
        UniqueConstraint("month", "channel", "campaign"),
        CheckConstraint("amount >= 0", name="amount"),
    )
