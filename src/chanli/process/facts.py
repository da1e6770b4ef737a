"""The CRM and org columns the process reads and writes, declared by table name.

Why by name: like the set-based engine (``con.table("orders")``), the process depends on
the CRM's *schema*, not on its ORM classes, so the CRM stays free to reshape its mapped
classes and the contract "capabilities import each other only through ``__init__``" holds.
Writes to CRM facts go through ``chanli.crm.service``; the one exception is the account
grade column, which the nightly grading run updates in bulk (see ``service.regrade_all``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Integer, String, column, table

from chanli.core.db import MoneyAmount, UTCDateTime

__all__ = ["accounts", "activities", "opportunities", "people", "products", "teams"]

opportunities = table(
    "opportunities",
    column("id", Integer), column("name", String), column("owner_id", Integer), column("account_id", Integer),
    column("product_id", Integer), column("amount", MoneyAmount), column("expected_close", Date),
    column("stage", String), column("status", String), column("created_on", Date), column("closed_on", Date),
    column("deleted_at", UTCDateTime),
)
activities = table(
    "activities",
    column("id", Integer), column("opportunity_id", Integer), column("kind", String),
    column("started_at", UTCDateTime), column("person_id", Integer),
)
accounts = table(
    "accounts",
    column("id", Integer), column("name", String), column("grade", String), column("owner_id", Integer),
    column("industry", String), column("employees", Integer), column("deleted_at", UTCDateTime),
)
products = table("products", column("id", Integer), column("name", String), column("series", String))
people = table(
    "people",
    column("id", Integer), column("name", String), column("team_id", Integer), column("job_role", String),
    column("active", Boolean), column("manager_id", Integer),
)
teams = table(
    "teams",
    column("id", Integer), column("name", String), column("parent_id", Integer), column("manager_id", Integer),
    column("path", String), column("depth", Integer),
)
