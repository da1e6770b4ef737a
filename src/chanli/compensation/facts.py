"""The org and CRM columns compensation reads, declared by table name.

Why by name: like the set-based engine (``con.table("orders")``) and ``chanli.process.facts``,
compensation depends on the org's and the CRM's *schema*, not on their ORM classes, so those
packages stay free to reshape their mapped classes and "capabilities import each other only
through ``__init__``" holds. Compensation never writes these tables.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Integer, String, column, table

from chanli.core.db import MoneyAmount, UTCDateTime

__all__ = [
    "accounts",
    "feedback",
    "leads",
    "opportunities",
    "order_lines",
    "orders",
    "payments",
    "people",
    "products",
    "teams",
]

people = table(
    "people",
    column("id", Integer),
    column("name", String),
    column("tier", String),
    column("team_id", Integer),
    column("manager_id", Integer),
    column("hire_date", Date),
    column("leave_date", Date),
    column("job_role", String),
    column("active", Boolean),
    column("external_id", String),
)
teams = table(
    "teams",
    column("id", Integer),
    column("name", String),
    column("parent_id", Integer),
    column("path", String),
    column("manager_id", Integer),
)
orders = table(
    "orders",
    column("id", Integer),
    column("account_id", Integer),
    column("opportunity_id", Integer),
    column("owner_id", Integer),
    column("signed_on", Date),
    column("status", String),
    column("cancelled_on", Date),
    column("currency", String),
    column("net_amount", MoneyAmount),
    column("is_renewal", Boolean),
    column("payment_due_on", Date),
    column("deleted_at", UTCDateTime),
)
order_lines = table(
    "order_lines",
    column("id", Integer),
    column("order_id", Integer),
    column("product_id", Integer),
    column("net_amount", MoneyAmount),
    column("deleted_at", UTCDateTime),
)
products = table("products", column("id", Integer), column("name", String))
payments = table(
    "payments",
    column("id", Integer),
    column("order_id", Integer),
    column("amount", MoneyAmount),
    column("received_on", Date),
    column("deleted_at", UTCDateTime),
)
accounts = table("accounts", column("id", Integer), column("owner_id", Integer), column("deleted_at", UTCDateTime))
opportunities = table(
    "opportunities",
    column("id", Integer),
    column("lead_id", Integer),
    column("created_on", Date),
)
leads = table("leads", column("id", Integer), column("received_on", Date))
feedback = table(
    "feedback",
    column("id", Integer),
    column("person_id", Integer),
    column("received_on", Date),
    column("satisfaction", Integer),
    column("is_complaint", Boolean),
)
