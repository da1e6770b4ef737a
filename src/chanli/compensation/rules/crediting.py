"""Crediting (业绩归属): who gets how much of each order, in company currency.

Order of operations, the same for every component:

1. Only facts dated before the period's end count; an order cancelled or refunded before the
   period's end earns nothing in it (a later reversal is a clawback, not a credit change).
2. Booking basis: an order signed in the period credits its net amount less the credit notes
   issued before the period's end. Collection basis: each payment received in the period.
3. The amount is converted to the company currency at the period's rate, to the fen (R1),
   *before* crediting, so tiers see one currency.
4. The converted amount is split by the order's splits with ``allocate`` (R2): the shares sum
   to exactly the converted amount; the remainder fen goes to the earlier split.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from chanli.compensation.model import CreditBasis, CreditFact, OrderFact, Person, RunInputs
from chanli.compensation.rules.maths import fen
from chanli.core.issues import Issue, Issues
from chanli.core.money import allocate, currency_exponent

__all__ = [
    "CreditBook",
    "attribute",
    "children_of",
    "convert",
    "credit_notes_before",
    "net_amount_before",
    "reports_of",
    "spread",
]

ZERO = Decimal(0)
ONE = Decimal(1)


def convert(amount: Decimal, currency: str, rates: Mapping[str, Decimal], company_currency: str) -> Decimal | None:
    """``amount`` of ``currency`` in the company currency, to the fen (R1); ``None`` without a rate."""
    if currency == company_currency:
        return fen(amount, company_currency)
    rate = rates.get(currency)
    if rate is None:
        return None
    return fen(amount * rate, company_currency)


def credit_notes_before(inputs: RunInputs, order_id: int) -> Decimal:
    """Credit notes (红冲) on an order issued before the period's end, in the order's currency."""
    end = inputs.period.end
    return sum((c.amount for c in inputs.credit_notes if c.order_id == order_id and c.issued_on < end), ZERO)


def net_amount_before(inputs: RunInputs, order: OrderFact) -> Decimal:
    """Net amount less credit notes before the period's end (never below zero)."""
    return max(order.net_amount - credit_notes_before(inputs, order.id), ZERO)


def attribute(amount: Decimal, facts: Iterable[CreditFact], currency: str) -> tuple[tuple[int, Decimal], ...]:
    """Split a line's ``amount`` over the orders behind it, pro rata to their credit (R2), so a
    later clawback knows what was paid on each order. The parts sum exactly to ``amount``."""
    by_order: dict[int, Decimal] = {}
    for f in facts:
        by_order[f.order_id] = by_order.get(f.order_id, ZERO) + f.amount
    return spread(amount, by_order, currency)


def spread(amount: Decimal, weights: Mapping[int, Decimal], currency: str) -> tuple[tuple[int, Decimal], ...]:
    """``amount`` allocated over order ids by ``weights`` (empty when there is nothing to weigh)."""
    order_ids = sorted(weights)
    values = [weights[i] for i in order_ids]
    if amount == 0 or not order_ids or sum(values, ZERO) <= 0 or any(w < 0 for w in values):
        return ()
    parts = allocate(amount, values, currency_exponent(currency))
    return tuple((i, p) for i, p in zip(order_ids, parts, strict=True) if p != 0)


def children_of(people: Iterable[Person]) -> dict[int, list[int]]:
    """Manager id → ids of their direct reports (self-links ignored)."""
    children: dict[int, list[int]] = {}
    for p in people:
        if p.manager_id is not None and p.manager_id != p.id:
            children.setdefault(p.manager_id, []).append(p.id)
    return children


def reports_of(
    people: Iterable[Person], manager_id: int, depth: str = "subtree", children: dict[int, list[int]] | None = None
) -> list[int]:
    """Ids of the people below ``manager_id`` (direct reports, or the whole subtree), sorted.
    A cycle in the manager links cannot loop forever: each person is visited once. Pass
    ``children`` (from ``children_of``) to walk many managers without rebuilding the tree."""
    if children is None:
        children = children_of(people)
    if depth == "direct":
        return sorted(x for x in children.get(manager_id, []) if x != manager_id)
    seen: set[int] = set()
    stack = list(children.get(manager_id, []))
    while stack:
        pid = stack.pop()
        if pid in seen or pid == manager_id:
            continue
        seen.add(pid)
        stack.extend(children.get(pid, []))
    return sorted(seen)


@dataclass(slots=True)
class CreditBook:
    """Credits of one run, computed once per basis on first use (a memo: same inputs, same
    credits). Problems found while crediting (missing rate, bad splits) are collected once."""

    inputs: RunInputs
    currency: str
    issues: Issues = field(default_factory=Issues)
    _by_basis: dict[CreditBasis, tuple[CreditFact, ...]] = field(default_factory=dict)
    _orders: dict[int, OrderFact] = field(default_factory=dict)
    _by_person: dict[CreditBasis, dict[int, list[tuple[int, CreditFact]]]] = field(default_factory=dict)
    _children: dict[int, list[int]] | None = None
    _reports: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._orders = {o.id: o for o in self.inputs.orders}

    @property
    def rates(self) -> dict[str, Decimal]:
        return {r.currency: r.rate for r in self.inputs.exchange_rates}

    def order(self, order_id: int) -> OrderFact | None:
        return self._orders.get(order_id)

    def reports(self, manager_id: int, depth: str = "subtree") -> list[int]:
        """``reports_of`` over the run's people, with the tree built once per run."""
        key = (manager_id, depth)
        if key not in self._reports:
            if self._children is None:
                self._children = children_of(self.inputs.people)
            self._reports[key] = reports_of((), manager_id, depth, self._children)
        return self._reports[key]

    def credits(self, basis: CreditBasis) -> tuple[CreditFact, ...]:
        if basis not in self._by_basis:
            self._by_basis[basis] = tuple(self._booking() if basis is CreditBasis.BOOKING else self._collection())
        return self._by_basis[basis]

    def for_people(self, basis: CreditBasis, person_ids: Iterable[int]) -> list[CreditFact]:
        """The credits of ``person_ids`` in credit order (an index per basis, so a run over
        thousands of people stays linear in the number of credits)."""
        index = self._by_person.get(basis)
        if index is None:
            index = {}
            for position, c in enumerate(self.credits(basis)):
                index.setdefault(c.person_id, []).append((position, c))
            self._by_person[basis] = index
        wanted = sorted(set(person_ids))
        if len(wanted) == 1:
            return [c for _, c in index.get(wanted[0], [])]
        found = [pc for pid in wanted for pc in index.get(pid, [])]
        return [c for _, c in sorted(found, key=lambda pc: pc[0])]

    def converted(self, order: OrderFact, amount: Decimal) -> Decimal | None:
        """``amount`` in the order's currency converted (R1), reporting a missing rate once."""
        value = convert(amount, order.currency, self.rates, self.currency)
        if value is None:
            self._once(
                Issue(
                    "comp.fx_missing",
                    f"no {order.currency}→{self.currency} rate for {self.inputs.period.label}; "
                    f"order {order.id} is not credited",
                    source=f"order:{order.id}",
                )
            )
        return value

    # --- internals -------------------------------------------------------------------
    def _once(self, issue: Issue) -> None:
        if issue not in self.issues:
            self.issues.append(issue)

    def _shares(self, order: OrderFact) -> Sequence[tuple[int, Decimal]] | None:
        if not order.splits:
            return [(order.owner_id, ONE)]
        shares = [(s.person_id, s.share) for s in order.splits]
        total = sum((s for _, s in shares), ZERO)
        if any(s < 0 for _, s in shares) or total != ONE:
            self._once(
                Issue(
                    "comp.split_invalid",
                    f"order {order.id}: split shares must be non-negative and sum to 100% "
                    f"(they sum to {total * 100:f}%); the order is not credited",
                    source=f"order:{order.id}",
                )
            )
            return None
        return shares

    def _split(
        self, order: OrderFact, amount: Decimal, source: str, basis: CreditBasis, on: object
    ) -> list[CreditFact]:
        shares = self._shares(order)
        if shares is None:
            return []
        parts = allocate(amount, [s for _, s in shares], currency_exponent(self.currency))
        return [
            CreditFact(pid, order.id, source, part, basis, on, order.product, order.owner_id)  # type: ignore[arg-type]
            for (pid, share), part in zip(shares, parts, strict=True)
            if share > 0
        ]

    def _booking(self) -> list[CreditFact]:
        period = self.inputs.period
        out: list[CreditFact] = []
        for order in sorted(self.inputs.orders, key=lambda o: o.id):
            if not period.contains(order.signed_on) or order.reversed_by(period.end):
                continue
            amount = self.converted(order, net_amount_before(self.inputs, order))
            if amount is None:
                continue
            out += self._split(order, amount, f"order:{order.id}", CreditBasis.BOOKING, order.signed_on)
        return out

    def _collection(self) -> list[CreditFact]:
        period = self.inputs.period
        out: list[CreditFact] = []
        for payment in sorted(self.inputs.payments, key=lambda p: p.id):
            if not period.contains(payment.received_on):
                continue
            order = self._orders.get(payment.order_id)
            if order is None:
                self._once(
                    Issue(
                        "comp.payment_orphan",
                        f"payment {payment.id} is for unknown order {payment.order_id}; not credited",
                        source=f"payment:{payment.id}",
                    )
                )
                continue
            if payment.amount <= 0:
                self._once(
                    Issue(
                        "comp.payment_not_positive",
                        f"payment {payment.id} has amount {payment.amount}; refunds are order statuses",
                        source=f"payment:{payment.id}",
                    )
                )
                continue
            if order.reversed_by(period.end):
                continue
            amount = self.converted(order, payment.amount)
            if amount is None:
                continue
            out += self._split(order, amount, f"payment:{payment.id}", CreditBasis.COLLECTION, payment.received_on)
        return out
