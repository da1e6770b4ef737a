"""The CRM and org columns insight reads and writes, declared by table name.

Why by name: like the set-based engine (``con.table("orders")``), insight depends on the CRM's
*schema*, not on its ORM classes, so the contract "capabilities import each other only through
``__init__``" holds. Insight only reads facts; the one write is ``leads.score`` (线索评分), the
plain value routing reads when it decides between a person and the automated queue.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Integer, Numeric, String, Text, column, table

from chanli.core.db import MoneyAmount, UTCDateTime

__all__ = ["accounts", "call_records", "leads", "opportunities", "people", "renewals", "stage_history", "teams"]

accounts = table(
    "accounts",
    column("id", Integer), column("name", String), column("owner_id", Integer), column("industry", String),
    column("region", String), column("lifecycle_status", String), column("deleted_at", UTCDateTime),
)
leads = table(
    "leads",
    column("id", Integer), column("company_name", String), column("source", String), column("channel", String),
    column("industry", String), column("region", String), column("province", String),
    column("received_on", Date), column("status", String), column("owner_id", Integer),
    column("score", Numeric(5, 2)), column("account_id", Integer),
)
opportunities = table(
    "opportunities",
    column("id", Integer), column("name", String), column("owner_id", Integer), column("account_id", Integer),
    column("lead_id", Integer), column("stage", String), column("status", String), column("amount", MoneyAmount),
    column("created_on", Date), column("expected_close", Date), column("closed_on", Date),
    column("lost_reason", String), column("notes", Text), column("deleted_at", UTCDateTime),
)
call_records = table(
    "call_records",
    column("id", Integer), column("person_id", Integer), column("account_id", Integer),
    column("opportunity_id", Integer), column("occurred_on", Date), column("started_at", UTCDateTime),
    column("duration_s", Integer), column("transcript", Text),
)
people = table(
    "people",
    column("id", Integer), column("name", String), column("team_id", Integer), column("job_role", String),
    column("active", Boolean),
)
stage_history = table(
    "opportunity_stage_history",
    column("id", Integer), column("opportunity_id", Integer), column("to_stage", String),
    column("changed_at", UTCDateTime),
)
renewals = table(
    "renewals",
    column("id", Integer), column("account_id", Integer), column("due_on", Date), column("status", String),
    column("deleted_at", UTCDateTime),
)
teams = table("teams", column("id", Integer), column("name", String), column("path", String))
