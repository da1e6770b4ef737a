"""Routing figures computed set-based with Ibis over the store: first-contact SLA statistics
per rep (assigned, contacted in time, breached and re-routed, average hours to first
contact), one GROUP BY over the assignment log joined with the leads."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import ibis
from ibis.backends import BaseBackend

from chanli.core.engine import to_rows

__all__ = ["sla_stats"]


def _naive(moment: datetime) -> datetime:
    return moment.replace(tzinfo=None) if moment.tzinfo else moment


def sla_stats(
    con: BaseBackend, start: datetime, end: datetime, person_ids: list[int] | None = None
) -> list[dict[str, Any]]:
    """Per rep, for leads assigned to them in [start, end): how many, how many first-contacted
    before the deadline, how many breached (and were re-routed away), the in-time rate, and
    the average hours from assignment to first contact."""
    a = con.table("routing_assignments")
    a = a.filter(a.person_id.notnull(), a.outcome.isin(("assigned", "owner")),
                 a.assigned_at >= _naive(start), a.assigned_at < _naive(end))
    if person_ids is not None:
        a = a.filter(a.person_id.isin(person_ids))
    ld = con.table("leads").select(lead_pk="id", first_contacted_at="first_contacted_at", lead_owner="owner_id")
    j = a.left_join(ld, a.lead_id == ld.lead_pk)
    mine = (j.lead_owner == j.person_id) & j.breached_at.isnull()
    contacted = mine & j.first_contacted_at.notnull()
    in_time = contacted & (j.first_contacted_at <= j.sla_due_at)
    hours = (j.first_contacted_at.epoch_seconds() - j.assigned_at.epoch_seconds()) / 3600.0
    agg = j.group_by(person_id=j.person_id).agg(
        assigned=j.id.count(),
        contacted_in_time=ibis.ifelse(in_time, 1, 0).sum(),
        breached=ibis.ifelse(j.breached_at.notnull(), 1, 0).sum(),
        avg_hours_to_contact=ibis.ifelse(contacted, hours, ibis.null()).mean(),
    )
    p = con.table("people").select(pid="id", name="name")
    expr = agg.join(p, agg.person_id == p.pid).select(
        "person_id", "name", "assigned", "contacted_in_time", "breached", "avg_hours_to_contact"
    ).order_by("person_id")
    out = []
    for r in to_rows(expr):
        n = int(r["assigned"])
        in_time_n = int(r["contacted_in_time"] or 0)
        avg = r["avg_hours_to_contact"]
        out.append({
            "person_id": int(r["person_id"]), "name": r["name"], "assigned": n, "contacted_in_time": in_time_n,
            "breached": int(r["breached"] or 0),
            "in_time_rate": (Decimal(in_time_n) / Decimal(n)).quantize(Decimal("0.001"), ROUND_HALF_UP) if n else None,
            "avg_hours_to_contact": None if avg is None else Decimal(str(avg)).quantize(Decimal("0.1"), ROUND_HALF_UP),
        })
    return out
