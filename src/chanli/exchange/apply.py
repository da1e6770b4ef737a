"""Writing planned records through the capability services — the only module of the
exchange that changes the store.

Each entity goes through its capability's own batch upsert (so the same rules, audit
entries and stage history apply as for a web edit); rows that were matched by name and
have no external id go through the update-by-id functions. Only created and changed
records reach this module: unchanged ones are never written, which is what makes a second
import of the same file change nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chanli.core.db import UnitOfWork
from chanli.crm import model as crm_model
from chanli.crm import service as crm_service
from chanli.org import JobRole, PersonDraft, TeamDraft, TeamKind, Tier
from chanli.org import service as org_service

__all__ = ["Planned", "write"]


@dataclass(frozen=True, slots=True)
class Planned:
    """One record to write: its full column values, the stored row it updates (if any), and
    for orders its lines as (product id, quantity, list price, discount rate)."""

    row: int
    record: dict[str, Any]
    existing: dict[str, Any] | None
    lines: tuple[tuple[int | None, Decimal, Decimal, Decimal], ...] = ()

    @property
    def by_id(self) -> bool:
        """Matched by name to a stored row that has no external id: update it by id."""
        return self.existing is not None and not self.existing.get("external_id")


def _kwargs(cls: type, record: dict[str, Any]) -> dict[str, Any]:
    return {f.name: record[f.name] for f in dataclasses.fields(cls) if f.name in record}


def _draft(entity: str, p: Planned) -> Any:
    r = p.record
    if entity == "teams":
        return TeamDraft(**{**_kwargs(TeamDraft, r), "kind": TeamKind(r["kind"])})
    if entity == "people":
        return PersonDraft(**{**_kwargs(PersonDraft, r), "job_role": JobRole(r["job_role"]), "tier": Tier(r["tier"])})
    if entity == "orders":
        lines = tuple(
            crm_model.OrderLineDraft(quantity=q, list_price=price, discount_rate=disc, product_id=product)
            for product, q, price, disc in p.lines
        )
        return crm_model.OrderDraft(**{**_kwargs(crm_model.OrderDraft, r), "lines": lines})
    cls = _DRAFTS[entity]
    return cls(**_kwargs(cls, r))


_DRAFTS: dict[str, type] = {
    "products": crm_model.ProductDraft,
    "accounts": crm_model.AccountDraft,
    "leads": crm_model.LeadDraft,
    "opportunities": crm_model.OpportunityDraft,
    "payments": crm_model.PaymentDraft,
    "activities": crm_model.ActivityDraft,
}

_UPSERT: dict[str, Any] = {
    "products": crm_service.upsert_products,
    "accounts": crm_service.upsert_accounts,
    "leads": crm_service.upsert_leads,
    "opportunities": crm_service.upsert_opportunities,
    "orders": crm_service.upsert_orders,
    "payments": crm_service.upsert_payments,
    "activities": crm_service.upsert_activities,
}


def write(uow: UnitOfWork, entity: str, planned: Sequence[Planned]) -> None:
    """Create or update ``planned`` records (none of which refers to another in the list)."""
    if not planned:
        return
    by_key = [p for p in planned if not p.by_id]
    by_id = [p for p in planned if p.by_id]
    if entity == "teams":
        org_service.upsert_teams(uow, [_draft(entity, p) for p in by_key])
        for p in by_id:
            assert p.existing is not None
            org_service.update_team(uow, p.existing["id"], _draft(entity, p))
        return
    if entity == "people":
        org_service.upsert_people(uow, [_draft(entity, p) for p in by_key])
        for p in by_id:
            assert p.existing is not None
            org_service.update_person(uow, p.existing["id"], _draft(entity, p))
        return
    ids: list[int] = []
    if by_key:
        ids = _UPSERT[entity](uow, [_draft(entity, p) for p in by_key]).ids
    if by_id:
        crm_service.update_by_id(uow, entity[:-1], [(p.existing["id"], _draft(entity, p)) for p in by_id
                                                    if p.existing is not None])
    if entity == "accounts":
        links = [
            (account_id, p.record.get("parent_account_id"))
            for account_id, p in [*zip(ids, by_key, strict=True), *((p.existing["id"], p) for p in by_id
                                                                   if p.existing is not None)]
            if (p.existing or {}).get("parent_account_id") != p.record.get("parent_account_id")
        ]
        if links:
            crm_service.set_account_parents(uow, links)
