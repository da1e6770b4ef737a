"""The CRM and org columns routing reads and writes, declared by table name.

Why by name: like the set-based engine (``con.table("leads")``), routing depends on the
CRM's *schema*, not its ORM classes. The one write is the lead's owner, done with a guarded
``UPDATE … WHERE owner_id IS NULL`` under ``SELECT … FOR UPDATE SKIP LOCKED`` so that two
routers never assign the same lead (see ``service.assign_leads``).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Date, Integer, Numeric, String, Text, column, table

from chanli.core.db import UTCDateTime

__all__ = ["accounts", "leads", "people", "teams", "territories"]

leads = table(
    "leads",
    column("id", Integer), column("company_name", String), column("received_at", UTCDateTime),
    column("received_on", Date), column("province", String), column("region", String), column("industry", String),
    column("account_id", Integer), column("owner_id", Integer), column("status", String),
    column("score", Numeric(5, 2)), column("first_contacted_at", UTCDateTime), column("source", String),
)
accounts = table(
    "accounts", column("id", Integer), column("owner_id", Integer), column("grade", String),
    column("deleted_at", UTCDateTime),
)
people = table(
    "people",
    column("id", Integer), column("name", String), column("team_id", Integer), column("job_role", String),
    column("tier", String), column("active", Boolean),
)
teams = table(
    "teams", column("id", Integer), column("name", String), column("path", String), column("manager_id", Integer),
)
territories = table(
    "territories", column("id", Integer), column("code", String), column("name", String),
    column("team_id", Integer), column("provinces", Text), column("industries", Text),
)
