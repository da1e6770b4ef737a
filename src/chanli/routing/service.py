"""Routing use cases: configure policies, rep settings and the leave calendar; assign new
leads (batch or one from a web form); re-route leads whose first-contact SLA ran out;
simulate a policy on past leads.

Assignment is safe under concurrency: the leads to route are locked with
``SELECT … FOR UPDATE SKIP LOCKED`` (PostgreSQL), so a second router skips what the first
holds, and the owner is written with ``UPDATE … WHERE owner_id IS NULL`` so even a store
without row locks can never give one lead two owners.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from chanli.core.audit import record
from chanli.core.auth import Principal, require
from chanli.core.db import UnitOfWork
from chanli.core.issues import Issue, ValidationFailed
from chanli.core.periods import business_date
from chanli.crm import NotFound as CrmNotFound
from chanli.crm import model as crm_model
from chanli.crm import service as crm_service
from chanli.routing import facts, rules
from chanli.routing.model import (
    DEFAULT_POLICY,
    Assignment,
    LeadIn,
    LeadsAssigned,
    LeadSlaBreached,
    Outcome,
    Rep,
    RoutingPolicy,
    RoutingState,
    TerritoryIn,
)
from chanli.routing.tables import LeadAssignment, LeadInterest, Leave, PolicyRow, RepSetting, RoundRobinState

__all__ = [
    "AssignSummary",
    "NotFound",
    "Simulation",
    "add_leave",
    "assign_leads",
    "load_policies",
    "load_state",
    "roster",
    "route_new_lead",
    "save_policy",
    "set_rep",
    "simulate",
    "sweep_sla",
    "territories",
]

OPEN_LEAD_STATUSES = ("new", "contacted")
_CHUNK = 900  # stay under SQLite's bound-parameter limit


class NotFound(CrmNotFound):
    """A routing object (person, lead) does not exist (HTTP 404)."""


# --- configuration ----------------------------------------------------------------------------


def load_policies(s: Session) -> dict[int | None, RoutingPolicy]:
    out: dict[int | None, RoutingPolicy] = {
        r.team_id: RoutingPolicy.from_dict({**r.definition, "team_id": r.team_id}, r.version)
        for r in s.scalars(select(PolicyRow))
    }
    out.setdefault(None, DEFAULT_POLICY)
    return out


def save_policy(uow: UnitOfWork, principal: Principal, policy: RoutingPolicy) -> int:
    """Create or replace a team's routing policy (audited; the version goes up)."""
    require(principal, "routing.configure")
    s = uow.session
    if policy.team_id is not None and s.scalar(select(facts.teams.c.id).where(facts.teams.c.id == policy.team_id)) \
            is None:
        raise NotFound(f"team {policy.team_id} does not exist")
    row = s.scalars(select(PolicyRow).where(
        PolicyRow.team_id.is_(None) if policy.team_id is None else PolicyRow.team_id == policy.team_id)).first()
    before = row.definition if row else None
    if row is None:
        row = PolicyRow(team_id=policy.team_id, definition=policy.as_dict(), version=1)
        s.add(row)
    else:
        row.definition, row.version = policy.as_dict(), row.version + 1
    s.flush()
    record(s, uow.actor, "routing.policy", "routing_policy", row.team_id or "default", before=before,
           after=row.definition)
    return row.version


def _person(s: Session, person_id: int) -> Any:
    row = s.execute(select(facts.people).where(facts.people.c.id == person_id)).first()
    if row is None:
        raise NotFound(f"person {person_id} does not exist")
    return row


def set_rep(
    uow: UnitOfWork, principal: Principal, person_id: int, *, capacity: int | None,
    industries: Sequence[str] = (), products: Sequence[str] = (),
) -> None:
    """Set a rep's own cap and skills (None cap = the policy's cap for their tier)."""
    require(principal, "routing.configure")
    s = uow.session
    _person(s, person_id)
    if capacity is not None and capacity < 0:
        raise ValidationFailed([Issue("routing.capacity", "a cap must not be negative", column="capacity")])
    row = s.scalars(select(RepSetting).where(RepSetting.person_id == person_id)).first()
    before = None if row is None else {"capacity": row.capacity, "industries": row.industries,
                                       "products": row.products}
    if row is None:
        row = RepSetting(person_id=person_id)
        s.add(row)
    row.capacity = capacity
    row.industries = ",".join(i.strip() for i in industries if i.strip()) or None
    row.products = ",".join(p.strip() for p in products if p.strip()) or None
    s.flush()
    record(s, uow.actor, "routing.rep", "person", person_id, before=before,
           after={"capacity": capacity, "industries": row.industries, "products": row.products})


def add_leave(
    uow: UnitOfWork, principal: Principal, person_id: int, first_day: date, last_day: date, reason: str | None = None
) -> int:
    """Put a leave on the calendar; routing skips the person on those days."""
    require(principal, "routing.assign")
    s = uow.session
    _person(s, person_id)
    if last_day < first_day:
        raise ValidationFailed([Issue("leave.span", "a leave must end on or after its first day", column="last_day")])
    leave = Leave(person_id=person_id, first_day=first_day, last_day=last_day, reason=reason)
    s.add(leave)
    s.flush()
    record(s, uow.actor, "routing.leave", "person", person_id,
           after={"first_day": first_day, "last_day": last_day, "reason": reason})
    return leave.id


# --- what the engine sees ---------------------------------------------------------------------


def _split(text: str | None) -> frozenset[str]:
    return frozenset(x.strip() for x in (text or "").split(",") if x.strip())


def territories(s: Session) -> list[TerritoryIn]:
    t = facts.territories
    return [TerritoryIn(r.code, r.name, r.team_id, _split(r.provinces), _split(r.industries))
            for r in s.execute(select(t).order_by(t.c.code))]


def roster(s: Session, today: date) -> list[Rep]:
    """Every sales rep with team path, tier, leave today, own cap, skills and open load
    (open leads they own, one GROUP BY)."""
    p, t, ld = facts.people, facts.teams, facts.leads
    paths = {tid: tuple(int(x) for x in path.strip("/").split("/") if x)
             for tid, path in s.execute(select(t.c.id, t.c.path))}
    on_leave = set(s.scalars(select(Leave.person_id).where(Leave.first_day <= today, Leave.last_day >= today)))
    settings = {r.person_id: r for r in s.scalars(select(RepSetting))}
    loads = dict(s.execute(select(ld.c.owner_id, func.count()).where(
        ld.c.owner_id.is_not(None), ld.c.status.in_(OPEN_LEAD_STATUSES)).group_by(ld.c.owner_id)).all())
    out = []
    for r in s.execute(select(p).where(p.c.job_role == "rep").order_by(p.c.id)):
        st = settings.get(r.id)
        out.append(Rep(
            person_id=r.id, name=r.name, team_path=paths.get(r.team_id, ()) if r.team_id else (), tier=r.tier,
            active=bool(r.active), on_leave=r.id in on_leave, capacity=st.capacity if st else None,
            load=int(loads.get(r.id, 0)), industries=_split(st.industries) if st else frozenset(),
            products=_split(st.products) if st else frozenset(),
        ))
    return out


def load_state(s: Session) -> RoutingState:
    state = RoutingState()
    for q, pid, seq in s.execute(select(RoundRobinState.queue, RoundRobinState.person_id, RoundRobinState.last_seq)):
        state.last.setdefault(q, {})[pid] = seq
        state.counters[q] = max(state.counters.get(q, 0), seq)
    return state


def _lead_inputs(s: Session, rows: Sequence[Any]) -> list[LeadIn]:
    account_ids = sorted({r.account_id for r in rows if r.account_id is not None})
    lead_ids = [r.id for r in rows]
    a = facts.accounts
    accounts: dict[int, Any] = {}
    interest: dict[int, str] = {}
    for i in range(0, len(account_ids), _CHUNK):
        accounts.update({x.id: x for x in s.execute(select(a).where(
            a.c.id.in_(account_ids[i : i + _CHUNK]), a.c.deleted_at.is_(None)))})
    for i in range(0, len(lead_ids), _CHUNK):
        interest.update(s.execute(select(LeadInterest.lead_id, LeadInterest.product).where(
            LeadInterest.lead_id.in_(lead_ids[i : i + _CHUNK]))).all())
    out = []
    for r in rows:
        acc = accounts.get(r.account_id) if r.account_id is not None else None
        out.append(LeadIn(
            lead_id=r.id, received_at=r.received_at, province=r.province, region=r.region, industry=r.industry,
            product=interest.get(r.id), account_owner_id=acc.owner_id if acc else None,
            account_grade=acc.grade if acc else None, score=None if r.score is None else Decimal(r.score),
        ))
    return out


# --- assignment -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AssignSummary:
    assignments: list[Assignment]
    by_outcome: dict[str, int]
    skipped_locked: int = 0  # leads another router held or took meanwhile

    def for_lead(self, lead_id: int) -> Assignment | None:
        return next((a for a in self.assignments if a.lead_id == lead_id), None)


def _unassigned(s: Session, lead_ids: Sequence[int] | None, limit: int | None) -> list[Any]:
    """Unowned new leads not parked in the automated queue, locked for this transaction
    (rows another transaction holds are skipped, not waited for)."""
    ld = facts.leads
    parked = select(LeadAssignment.lead_id).where(
        LeadAssignment.current.is_(True), LeadAssignment.outcome == Outcome.AUTOMATED.value)
    stmt = select(ld).where(ld.c.owner_id.is_(None), ld.c.status == "new", ld.c.id.not_in(parked))
    if lead_ids is not None:
        rows: list[Any] = []
        ids = sorted(set(lead_ids))
        for i in range(0, len(ids), _CHUNK):
            rows += s.execute(stmt.where(ld.c.id.in_(ids[i : i + _CHUNK])).order_by(ld.c.id)
                              .with_for_update(skip_locked=True, of=ld)).all()
        return rows
    stmt = stmt.order_by(ld.c.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list(s.execute(stmt.with_for_update(skip_locked=True, of=ld)).all())


def _today(now: datetime, s: Session) -> date:
    tz = crm_service.company_time_zone(s)
    return business_date(now, tz)


def _save_state(s: Session, before: RoutingState, after: RoutingState) -> None:
    changed = [
        {"q": q, "p": p, "seq": seq}
        for q, m in after.last.items() for p, seq in m.items() if before.last.get(q, {}).get(p) != seq
    ]
    if not changed:
        return
    dialect = s.get_bind().dialect.name
    table = RoundRobinState.__table__
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    stmt = upsert(table).values(queue=bindparam("q"), person_id=bindparam("p"), last_seq=bindparam("seq"))
    greatest = func.greatest if dialect == "postgresql" else func.max
    stmt = stmt.on_conflict_do_update(
        index_elements=["queue", "person_id"],
        set_={"last_seq": greatest(table.c.last_seq, stmt.excluded.last_seq)},
    )
    for i in range(0, len(changed), 5000):
        s.execute(stmt, changed[i : i + 5000])


def _route_and_write(
    uow: UnitOfWork, rows: Sequence[Any], *, now: datetime, kind: str,
    exclude: dict[int, frozenset[int]] | None = None,
) -> tuple[list[Assignment], int]:
    s = uow.session
    if not rows:
        return [], 0
    policies = load_policies(s)
    state = load_state(s)
    result = rules.route(_lead_inputs(s, rows), roster(s, _today(now, s)), territories(s), policies, state,
                         exclude=exclude)
    ld = facts.leads
    owned = [{"lid": a.lead_id, "p": a.person_id} for a in result.assignments if a.person_id is not None]
    taken = 0
    if owned:
        res = s.execute(update(ld).where(ld.c.id == bindparam("lid"), ld.c.owner_id.is_(None))
                        .values(owner_id=bindparam("p")), owned, execution_options={"synchronize_session": False})
        taken = len(owned) - max(res.rowcount, 0) if res.rowcount is not None and res.rowcount >= 0 else 0
    ids = [a.lead_id for a in result.assignments]
    for i in range(0, len(ids), _CHUNK):
        s.execute(update(LeadAssignment).where(LeadAssignment.lead_id.in_(ids[i : i + _CHUNK]),
                                               LeadAssignment.current.is_(True)).values(current=False))
    sla = {None: policies.get(None, DEFAULT_POLICY).sla_hours}
    version = policies.get(None, DEFAULT_POLICY).version
    rows_out = []
    for a in result.assignments:
        team = int(a.queue.split(":")[1]) if a.queue.startswith("team:") else None
        hours = sla.get(team)
        if hours is None:
            hours = sla[team] = _policy_for_team(s, policies, team).sla_hours
        rows_out.append({
            "lead_id": a.lead_id, "person_id": a.person_id, "outcome": a.outcome.value, "queue": a.queue,
            "kind": kind, "explanation": a.explain(), "reasons": [[r.code, *map(str, r.args)] for r in a.reasons],
            "assigned_at": now, "sla_due_at": now + timedelta(hours=hours) if a.person_id is not None else None,
            "breached_at": None, "current": True, "policy_version": version,
        })
    for i in range(0, len(rows_out), 5000):
        s.execute(insert(LeadAssignment), rows_out[i : i + 5000])
    _save_state(s, state, result.state)
    return result.assignments, taken


def _policy_for_team(s: Session, policies: dict[int | None, RoutingPolicy], team_id: int | None) -> RoutingPolicy:
    if team_id is not None:
        path = s.scalar(select(facts.teams.c.path).where(facts.teams.c.id == team_id)) or ""
        for tid in reversed([int(x) for x in path.strip("/").split("/") if x]):
            if tid in policies:
                return policies[tid]
    return policies.get(None, DEFAULT_POLICY)


def assign_leads(
    uow: UnitOfWork, *, now: datetime, lead_ids: Sequence[int] | None = None, limit: int | None = None,
) -> AssignSummary:
    """Route unowned new leads (the given ones, or all of them up to ``limit``) and record
    each decision with its explanation and first-contact deadline. Reps are told after commit."""
    from chanli.insight import service as insight_service  # imported here: it loads the model libraries

    s = uow.session
    insight_service.score_leads_for_routing(uow, lead_ids)  # fills leads.score when a lead model is trained
    rows = _unassigned(s, lead_ids, limit)
    assignments, taken = _route_and_write(uow, rows, now=now, kind="initial")
    by_outcome = dict(sorted(Counter(a.outcome.value for a in assignments).items()))
    skipped = (len(set(lead_ids)) - len(rows) if lead_ids is not None else 0) + taken
    if assignments:
        record(s, uow.actor, "lead.route", "lead", assignments[0].lead_id if len(assignments) == 1 else None,
               after={"routed": len(assignments), **by_outcome})
        per = Counter(a.person_id for a in assignments if a.person_id is not None)
        uow.queue(LeadsAssigned(dict(per), by_outcome.get("automated", 0), by_outcome.get("unrouted", 0)))
    return AssignSummary(assignments, by_outcome, skipped)


def route_new_lead(
    uow: UnitOfWork, principal: Principal, draft: crm_model.LeadDraft, *, now: datetime, product: str | None = None
) -> tuple[int, Assignment | None]:
    """The web-form path: record a new lead through the CRM and route it at once."""
    require(principal, "crm.write")
    require(principal, "routing.assign")
    if draft.owner_id is not None:
        raise ValidationFailed([Issue("lead.owner", "a lead to route must not have an owner yet", column="owner_id")])
    lead_id = crm_service.upsert_leads(uow, [draft]).ids[0]
    if product:
        uow.session.add(LeadInterest(lead_id=lead_id, product=product))
        uow.session.flush()
    return lead_id, assign_leads(uow, now=now, lead_ids=[lead_id]).for_lead(lead_id)


def sweep_sla(uow: UnitOfWork, *, now: datetime) -> list[LeadSlaBreached]:
    """Re-route every lead its owner did not first-contact before the deadline, to someone
    else, and notify the previous owner's manager (after commit). Safe to run every few
    minutes: a lead is taken back only while still uncontacted and still with that owner."""
    s = uow.session
    ld = facts.leads
    due = list(s.execute(
        select(LeadAssignment.id, LeadAssignment.person_id, ld)
        .join(ld, and_(ld.c.id == LeadAssignment.lead_id, ld.c.owner_id == LeadAssignment.person_id))
        .where(LeadAssignment.current.is_(True), LeadAssignment.sla_due_at < now,
               ld.c.first_contacted_at.is_(None), ld.c.status == "new")
        .order_by(ld.c.id).with_for_update(skip_locked=True, of=ld)
    ).all())
    if not due:
        return []
    previous = {r.id: r.person_id for r in due}
    s.execute(update(LeadAssignment).where(LeadAssignment.id.in_([r[0] for r in due]))
              .values(breached_at=now, current=False))
    s.execute(update(ld).where(ld.c.id == bindparam("lid"), ld.c.owner_id == bindparam("prev"))
              .values(owner_id=None), [{"lid": lid, "prev": prev} for lid, prev in previous.items()],
              execution_options={"synchronize_session": False})
    rows = list(s.execute(select(ld).where(ld.c.id.in_(list(previous))).order_by(ld.c.id)).all())
    assignments, _ = _route_and_write(uow, rows, now=now, kind="sla_reroute",
                                      exclude={lid: frozenset({prev}) for lid, prev in previous.items()})
    managers = _managers(s, sorted(set(previous.values())))
    policies = load_policies(s)
    events = []
    for a in assignments:
        prev = previous[a.lead_id]
        hours = _policy_for_team(s, policies, int(a.queue.split(":")[1]) if a.queue.startswith("team:") else None
                                 ).sla_hours
        ev = LeadSlaBreached(a.lead_id, prev, a.person_id, managers.get(prev), hours)
        record(s, uow.actor, "lead.sla_reroute", "lead", a.lead_id, before={"owner_id": prev},
               after={"owner_id": a.person_id, "explanation": a.explain()}, reason=f"no first contact within {hours} h")
        uow.queue(ev)
        events.append(ev)
    return events


def _managers(s: Session, person_ids: list[int]) -> dict[int, int | None]:
    """Each person's manager: the nearest team manager up their team's path (not themselves)."""
    p, t = facts.people, facts.teams
    paths = dict(s.execute(select(p.c.id, t.c.path).join(t, t.c.id == p.c.team_id).where(p.c.id.in_(person_ids))).all())
    team_ids = sorted({int(x) for path in paths.values() for x in path.strip("/").split("/") if x})
    team_manager = dict(s.execute(select(t.c.id, t.c.manager_id).where(t.c.id.in_(team_ids))).all())
    out: dict[int, int | None] = {}
    for pid in person_ids:
        chain = [int(x) for x in reversed(paths.get(pid, "").strip("/").split("/")) if x]
        out[pid] = next((team_manager[tid] for tid in chain if team_manager.get(tid) not in (None, pid)), None)
    return out


# --- simulation -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Simulation:
    """What a policy would have done with past leads (nothing is written)."""

    leads: int
    by_outcome: dict[str, int]
    by_person: list[tuple[int, str, int]]  # person id, name, leads
    samples: list[tuple[int, str | None, str]] = field(default_factory=list)  # lead, person, explanation


def simulate(
    s: Session, *, start: date, end: date, policies: dict[int | None, RoutingPolicy] | None = None,
    now: datetime, locale: str = "zh_CN", samples: int = 20,
) -> Simulation:
    """Route the leads received in [start, end) again under ``policies`` (default: the saved
    ones) from empty loads and a fresh rotation, as if they arrived now: the rules editor's
    preview of how a month's flow would be spread."""
    ld = facts.leads
    rows = list(s.execute(select(ld).where(ld.c.received_on >= start, ld.c.received_on < end).order_by(ld.c.id)))
    people = [replace(r, load=0) for r in roster(s, _today(now, s))]
    result = rules.route(_lead_inputs(s, rows), people, territories(s), policies or load_policies(s))
    names = {r.person_id: r.name for r in people}
    per = Counter(a.person_id for a in result.assignments if a.person_id is not None)
    return Simulation(
        len(rows), dict(sorted(Counter(a.outcome.value for a in result.assignments).items())),
        sorted(((pid, names[pid], n) for pid, n in per.items()), key=lambda x: (-x[2], x[1])),
        [(a.lead_id, names.get(a.person_id) if a.person_id else None, a.explain(locale))
         for a in result.assignments[:samples]],
    )

