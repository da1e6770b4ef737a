"""The store as an import sees it: key lookups in chunks, through the capabilities' public
queries only (the exchange never builds SQL and never imports ``*.tables``).

Why a small adapter: the exchange speaks of entities by their plural file names
(``people``), the capabilities by their own (``person``), and every lookup must stay under
SQLite's bound-parameter limit whatever the batch size.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from chanli.crm import queries as crm_queries
from chanli.exchange.fields import ENTITIES
from chanli.org import CompanyProfile
from chanli.org import queries as org_queries

__all__ = ["NAMED", "LineKey", "StoreKeys"]

ORG = frozenset({"teams", "people"})
NAMED = frozenset({"teams", "people", "accounts", "products", "opportunities"})  # findable by exact name
CHUNK = 900

LineKey = tuple[int | None, Decimal, Decimal, Decimal]  # product id, quantity, list price, discount


def _chunks(keys: Sequence[Any]) -> Iterable[list[Any]]:
    for i in range(0, len(keys), CHUNK):
        yield list(keys[i : i + CHUNK])


class StoreKeys:
    """Lookups by the exchange's entity names, chunked."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def _name(self, entity: str) -> str:
        return ENTITIES[entity].store_name

    def by_external_id(self, entity: str, keys: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(keys))
        out: dict[str, int] = {}
        q = org_queries if entity in ORG else crm_queries
        for chunk in _chunks(wanted):
            out.update(q.external_ids(self.session, self._name(entity), chunk))
        return out

    def by_name(self, entity: str, names: Iterable[str]) -> dict[str, list[int]]:
        if entity not in NAMED:
            return {}
        wanted = sorted(set(names))
        out: dict[str, list[int]] = {}
        q = org_queries if entity in ORG else crm_queries
        for chunk in _chunks(wanted):
            for name, ids in q.names_to_ids(self.session, self._name(entity), chunk).items():
                out.setdefault(name, []).extend(ids)
        return out

    def rows(self, entity: str, *, external_ids: Sequence[str] = (), ids: Sequence[int] = ()) -> list[dict[str, Any]]:
        q = org_queries if entity in ORG else crm_queries
        return q.rows_by_key(self.session, self._name(entity), external_ids=external_ids, ids=ids)

    def reference_keys(self, entity: str, ids: Iterable[int]) -> dict[int, str]:
        q = org_queries if entity in ORG else crm_queries
        return q.reference_keys(self.session, self._name(entity), sorted(set(ids)))

    def order_lines(self, order_ids: Sequence[int]) -> dict[int, list[LineKey]]:
        out: dict[int, list[LineKey]] = {}
        for order_id, lines in crm_queries.order_lines(self.session, list(order_ids)).items():
            out[order_id] = [
                (ln.product_id, Decimal(ln.quantity), Decimal(ln.list_price), Decimal(ln.discount_rate))
                for ln in lines
            ]
        return out

    def company(self) -> CompanyProfile | None:
        return org_queries.company_profile(self.session)
