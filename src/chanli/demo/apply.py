"""Apply a ``DemoPlan`` through the capability services, inside the caller's unit of work.

Why through the services and not raw inserts: the demo then obeys the same rules as real
data (orders are summed from rounded lines, lost deals need a reason, stage moves keep
history, changes are audited), so every page and engine shown on the demo is exercised on
facts that real use would produce. Rows go in batches (``BATCH``) so the whole default demo
is a few hundred statements plus one per stage move, not one transaction per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy.orm import Session

from chanli.core.auth import Principal, Role, hash_password
from chanli.core.db import Actor, UnitOfWork
from chanli.crm import model as crm_model
from chanli.crm import queries as crm_queries
from chanli.crm import service as crm_service
from chanli.demo.model import DEMO_PASSWORD, DemoPlan, DemoSpec, DemoSummary
from chanli.demo.plan import plan_demo
from chanli.org import MentorshipTerms, PersonDraft, TeamDraft
from chanli.org import queries as org_queries
from chanli.org import service as org_service

__all__ = ["BATCH", "DEMO_ACTOR", "Progress", "apply_plan", "build_demo", "store_is_empty", "summarise"]

DEMO_ACTOR = Actor(user_id=None, name="demo")
BATCH = 500
T = TypeVar("T")

Progress = Callable[[str, int, int], None]
"""Called as ``progress(step, done, total)`` after each batch, for a progress bar."""


def _chunks(items: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def store_is_empty(s: Session) -> bool:
    """True when the store holds no company, login, person or account yet — the demo only
    ever builds into an empty store, so it can never mix with real data."""
    everyone = Principal(user_id=0, username="demo", display_name="demo", role=Role.ADMIN)
    return (
        org_queries.company_profile(s) is None
        and not org_queries.list_users(s)
        and not org_queries.list_people(s, everyone, active=None, limit=1)
        and not crm_queries.list_accounts(s, everyone, limit=1)
    )


def summarise(plan: DemoPlan) -> DemoSummary:
    """Row counts and headline figures of a plan (what ``apply_plan`` creates)."""
    spec = plan.spec
    won = sum((o.net_amount for o in plan.orders
               if o.cancelled_on is None and spec.start <= o.signed_on < spec.today), Decimal(0))
    collected = sum((p.amount for o in plan.orders for p in o.payments
                     if spec.start <= p.received_on < spec.today), Decimal(0))
    return DemoSummary(spec=spec, counts=plan.counts(), won_revenue=won, collected=collected, logins=plan.logins)


def build_demo(uow: UnitOfWork, spec: DemoSpec, *, progress: Progress | None = None,
               password_hash: str | None = None) -> DemoSummary:
    """Plan the demo for ``spec`` and apply it in ``uow`` (the caller commits)."""
    return apply_plan(uow, plan_demo(spec), progress=progress, password_hash=password_hash)


def apply_plan(uow: UnitOfWork, plan: DemoPlan, *, progress: Progress | None = None,
               password_hash: str | None = None) -> DemoSummary:
    """Create everything in ``plan`` through the services. ``password_hash`` (of
    ``DEMO_PASSWORD``) is computed once here when not given: argon2 costs ~20 ms a hash,
    so the demo logins share one."""
    report = progress or (lambda _step, _done, _total: None)
    ids = _Ids()
    _apply_org(uow, plan, ids, report, password_hash or hash_password(DEMO_PASSWORD))
    _apply_pipeline(uow, plan, ids, report)
    _apply_orders(uow, plan, ids, report)
    _apply_after_sale(uow, plan, ids, report)
    return summarise(plan)


class _Ids:
    """Database ids of planned rows, by plan key."""

    def __init__(self) -> None:
        self.team: dict[str, int] = {}
        self.person: dict[str, int] = {}
        self.product: dict[str, int] = {}
        self.account: dict[str, int] = {}
        self.lead: dict[str, int] = {}
        self.opportunity: dict[str, int] = {}
        self.order: dict[str, int] = {}

    def opt(self, table: dict[str, int], key: str | None) -> int | None:
        return None if key is None else table[key]


def _apply_org(uow: UnitOfWork, plan: DemoPlan, ids: _Ids, report: Progress, password_hash: str) -> None:
    org_service.save_company(uow, plan.company)
    for team in plan.teams:  # parents come first in the plan
        row = org_service.create_team(uow, TeamDraft(
            name=team.name, kind=team.kind, parent_id=ids.opt(ids.team, team.parent_key), external_id=team.key,
            region_code=team.region_code))
        ids.team[team.key] = row.id
    report("org", 1, 4)
    remaining = list(plan.people)
    while remaining:  # managers before the people who report to them, one batch per level
        level = [p for p in remaining if p.manager_key is None or p.manager_key in ids.person]
        org_service.upsert_people(uow, [
            PersonDraft(name=p.name, team_id=ids.team[p.team_key], job_role=p.job_role, tier=p.tier, email=p.email,
                        phone=p.phone, hire_date=p.hire_date, manager_id=ids.opt(ids.person, p.manager_key),
                        external_id=p.key)
            for p in level])
        ids.person.update(org_queries.external_ids(uow.session, "person", [p.key for p in level]))
        remaining = [p for p in remaining if p.key not in ids.person]
    report("org", 2, 4)
    for t in plan.territories:
        org_service.upsert_territory(uow, code=t.code, name=t.name, team_id=ids.team[t.team_key],
                                     provinces=t.provinces, industries=t.industries)
    for m in plan.mentorships:
        org_service.add_mentorship(uow, MentorshipTerms(ids.person[m.mentor_key], ids.person[m.apprentice_key],
                                                        m.start, m.end, m.override_rate))
    report("org", 3, 4)
    for login in plan.logins:
        org_service.add_user(uow, username=login.username, password=DEMO_PASSWORD, role=login.role,
                             display_name=login.display_name, person_id=ids.opt(ids.person, login.person_key),
                             password_hash=password_hash)
    report("org", 4, 4)


def _apply_pipeline(uow: UnitOfWork, plan: DemoPlan, ids: _Ids, report: Progress) -> None:
    result = crm_service.upsert_products(uow, [
        crm_model.ProductDraft(name=p.name, series=p.series, list_price=p.list_price, external_id=p.key)
        for p in plan.products])
    ids.product.update(zip((p.key for p in plan.products), result.ids, strict=True))

    done = 0
    for chunk in _chunks(plan.accounts):
        result = crm_service.upsert_accounts(uow, [
            crm_model.AccountDraft(
                name=a.name, industry=a.industry, region=a.region, province=a.province, grade=a.grade,
                lifecycle_status=a.lifecycle_status, owner_id=ids.person[a.owner_key], employees=a.employees,
                annual_revenue=a.annual_revenue, year_established=a.year_established, external_id=a.key)
            for a in chunk])
        ids.account.update(zip((a.key for a in chunk), result.ids, strict=True))
        done += len(chunk)
        report("accounts", done, len(plan.accounts))
    for chunk in _chunks(plan.contacts):
        crm_service.upsert_contacts(uow, [
            crm_model.ContactDraft(account_id=ids.account[c.account_key], name=c.name, title=c.title,
                                   phone=c.phone, is_decision_maker=c.is_decision_maker, external_id=c.key)
            for c in chunk])

    done = 0
    for chunk in _chunks(plan.leads):
        result = crm_service.upsert_leads(uow, [
            crm_model.LeadDraft(
                company_name=x.company_name, received_at=x.received_at, source=x.source, channel=x.channel,
                industry=x.industry, region=x.region, province=x.province, contact_name=x.contact_name,
                phone=x.phone, status=x.status, owner_id=ids.person[x.owner_key],
                first_contacted_at=x.first_contacted_at, account_id=ids.opt(ids.account, x.account_key),
                external_id=x.key)
            for x in chunk])
        ids.lead.update(zip((x.key for x in chunk), result.ids, strict=True))
        done += len(chunk)
        report("leads", done, len(plan.leads))

    done = 0
    for chunk in _chunks(plan.opportunities):
        result = crm_service.upsert_opportunities(uow, [
            crm_model.OpportunityDraft(
                name=o.name, created_on=o.created_on, owner_id=ids.person[o.owner_key],
                account_id=ids.account[o.account_key], product_id=ids.product[o.product_key],
                lead_id=ids.opt(ids.lead, o.lead_key), amount=o.amount,
                probability=crm_model.DEFAULT_PROBABILITY[crm_model.Stage.PROSPECTING],
                expected_close=o.expected_close, engaged_on=o.created_on, external_id=o.key)
            for o in chunk])
        ids.opportunity.update(zip((o.key for o in chunk), result.ids, strict=True))
        done += len(chunk)
        report("opportunities", done, len(plan.opportunities))

    moves = sorted(((m.at, o.key, m) for o in plan.opportunities for m in o.moves), key=lambda t: (t[0], t[1]))
    owner = {o.key: ids.person[o.owner_key] for o in plan.opportunities}
    for i, (at, key, move) in enumerate(moves, start=1):
        crm_service.move_stage(uow, ids.opportunity[key], crm_model.Stage(move.stage), at=at,
                               by_person_id=owner[key], lost_reason=move.lost_reason)
        if i % BATCH == 0 or i == len(moves):
            report("stage moves", i, len(moves))


def _apply_orders(uow: UnitOfWork, plan: DemoPlan, ids: _Ids, report: Progress) -> None:
    done = 0
    for chunk in _chunks(plan.orders):
        result = crm_service.upsert_orders(uow, [
            crm_model.OrderDraft(
                account_id=ids.account[o.account_key], owner_id=ids.person[o.owner_key], signed_on=o.signed_on,
                lines=tuple(crm_model.OrderLineDraft(quantity=ln.quantity, list_price=ln.list_price,
                                                     discount_rate=ln.discount_rate,
                                                     product_id=ids.product[ln.product_key])
                            for ln in o.lines),
                opportunity_id=ids.opt(ids.opportunity, o.opportunity_key), is_renewal=o.is_renewal,
                payment_due_on=o.payment_due_on, external_id=o.key)
            for o in chunk])
        ids.order.update(zip((o.key for o in chunk), result.ids, strict=True))
        done += len(chunk)
        report("orders", done, len(plan.orders))
    payments = [(o, p) for o in plan.orders for p in o.payments]
    for chunk in _chunks(payments):
        crm_service.upsert_payments(uow, [
            crm_model.PaymentDraft(order_id=ids.order[o.key], amount=p.amount, received_on=p.received_on,
                                   method=p.method, external_id=p.key)
            for o, p in chunk])
    cancelled = sorted((o for o in plan.orders if o.cancelled_on is not None),
                       key=lambda o: (o.cancelled_on or date.min, o.key))
    for o in cancelled:
        crm_service.cancel_order(uow, ids.order[o.key], on=o.cancelled_on or o.signed_on,
                                 reason=o.cancel_reason or "")
    crm_service.add_renewals(uow, [
        crm_model.RenewalDraft(account_id=ids.account[r.account_key], due_on=r.due_on, status=r.status,
                               amount=r.amount, original_order_id=ids.order[r.original_order_key],
                               renewal_order_id=ids.opt(ids.order, r.renewal_order_key))
        for r in plan.renewals])
    report("payments and renewals", 1, 1)


def _apply_after_sale(uow: UnitOfWork, plan: DemoPlan, ids: _Ids, report: Progress) -> None:
    done = 0
    for chunk in _chunks(plan.activities):
        crm_service.upsert_activities(uow, [
            crm_model.ActivityDraft(
                kind=a.kind, person_id=ids.person[a.person_key], started_at=a.started_at,
                duration_min=a.duration_min, account_id=ids.opt(ids.account, a.account_key),
                opportunity_id=ids.opt(ids.opportunity, a.opportunity_key), lead_id=ids.opt(ids.lead, a.lead_key),
                outcome=a.outcome, external_id=a.key)
            for a in chunk])
        done += len(chunk)
        report("activities", done, len(plan.activities))
    for chunk in _chunks(plan.calls):
        crm_service.upsert_calls(uow, [
            crm_model.CallRecordDraft(
                person_id=ids.person[c.person_key], started_at=c.started_at, duration_s=c.duration_s,
                direction=c.direction, transcript=c.transcript, account_id=ids.opt(ids.account, c.account_key),
                opportunity_id=ids.opt(ids.opportunity, c.opportunity_key), external_id=c.key)
            for c in chunk])
    for chunk in _chunks(plan.feedback):
        crm_service.add_feedback(uow, [
            crm_model.FeedbackDraft(
                account_id=ids.account[f.account_key], received_on=f.received_on, satisfaction=f.satisfaction,
                is_complaint=f.is_complaint, category=f.category, text=f.text,
                person_id=ids.opt(ids.person, f.person_key))
            for f in chunk])
    report("calls and feedback", 1, 1)
