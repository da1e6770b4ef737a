"""The registry of component kinds: one signature for every incentive type.

A component kind is a parameter dataclass (validated by ``plans``, with its own ``problems()``)
plus one pure function ``(component, ctx) -> ComponentResult``. New incentive types plug in the
way beancount plugins do: write both, call ``register``, and plans may use the new ``kind``.
The function reads everything from the ``RunContext`` (plan, period, inputs, credits, and the
lines of the components before it in the plan) and never touches the clock, files or a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chanli.compensation.model import (
    Component,
    CreditFact,
    Crediting,
    CreditScope,
    Person,
    PlanVersion,
    Quota,
    RunInputs,
    StatementLine,
)
from chanli.compensation.rules.crediting import CreditBook
from chanli.compensation.rules.maths import fen, money
from chanli.core.issues import Issue, Severity
from chanli.core.periods import Period

__all__ = [
    "REGISTRY",
    "ComponentFn",
    "ComponentResult",
    "KindSpec",
    "RunContext",
    "references",
    "register",
]

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class ComponentResult:
    lines: tuple[StatementLine, ...] = ()
    issues: tuple[Issue, ...] = ()


ComponentFn = Callable[[Component, "RunContext"], ComponentResult]


@dataclass(frozen=True, slots=True)
class KindSpec:
    """A registered component kind.

    ``commission`` marks kinds whose lines are commission (a mentor override may be a share of
    them). ``label`` is the default Chinese label on statements.
    """

    kind: str
    params: type
    calculate: ComponentFn
    label: str
    commission: bool = False
    description: str = ""


REGISTRY: dict[str, KindSpec] = {}

REFERENCE_FIELDS = ("applies_to", "of")


def register(
    kind: str,
    params: type,
    *,
    label: str,
    commission: bool = False,
    description: str = "",
    registry: dict[str, KindSpec] | None = None,
    replace: bool = False,
) -> Callable[[ComponentFn], ComponentFn]:
    """Decorator: make ``fn`` the calculation of component ``kind`` with ``params``."""
    target = REGISTRY if registry is None else registry

    def decorate(fn: ComponentFn) -> ComponentFn:
        if kind in target and not replace:
            raise ValueError(f"component kind {kind!r} is already registered")
        target[kind] = KindSpec(kind, params, fn, label, commission, description or (fn.__doc__ or "").strip())
        return fn

    return decorate


def references(params: Any) -> list[tuple[str, tuple[str, ...]]]:
    """The other components a component's params refer to (``applies_to``, ``of``)."""
    return [(name, tuple(getattr(params, name))) for name in REFERENCE_FIELDS if hasattr(params, name)]


@dataclass(frozen=True, slots=True)
class RunContext:
    """What a component sees: the plan, the inputs, who takes part, the credit book and the lines
    of the components before it (``earlier``, by component id)."""

    plan: PlanVersion
    inputs: RunInputs
    participants: tuple[Person, ...]
    book: CreditBook
    earlier: Mapping[str, tuple[StatementLine, ...]] = field(default_factory=dict)
    _people: dict[int, Person] = field(default_factory=dict)
    _quotas: dict[tuple[int, str], Quota] = field(default_factory=dict)
    _participant_ids: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "_people", {p.id: p for p in self.inputs.people})
        object.__setattr__(self, "_participant_ids", frozenset(p.id for p in self.participants))
        object.__setattr__(self, "_quotas", {(q.person_id, q.metric): q for q in self.inputs.quotas})

    @property
    def period(self) -> Period:
        return self.inputs.period

    @property
    def currency(self) -> str:
        return self.plan.currency

    def money(self, amount: Decimal) -> str:
        return money(amount, self.currency)

    def person(self, person_id: int) -> Person | None:
        return self._people.get(person_id)

    def name(self, person_id: int) -> str:
        p = self._people.get(person_id)
        return p.name if p is not None and p.name else f"#{person_id}"

    def is_participant(self, person_id: int) -> bool:
        return person_id in self._participant_ids

    def quota(self, person_id: int, metric: str) -> Decimal | None:
        q = self._quotas.get((person_id, metric))
        return q.amount if q is not None else None

    def reports(self, person_id: int, depth: str = "subtree") -> list[int]:
        return self.book.reports(person_id, depth)

    def credits(self, person_id: int, crediting: Crediting) -> list[CreditFact]:
        """The credits that count for a person: their own, or with the team roll-up, theirs and
        everyone's below them in the manager tree."""
        ids = [person_id]
        if crediting.scope is CreditScope.TEAM:
            ids += self.reports(person_id)
        return self.book.for_people(crediting.basis, ids)

    def credited(self, person_id: int, crediting: Crediting) -> tuple[Decimal, list[CreditFact]]:
        facts = self.credits(person_id, crediting)
        return sum((c.amount for c in facts), Decimal("0.00")), facts

    def lines_of(self, person_id: int, component_ids: Iterable[str]) -> list[StatementLine]:
        out: list[StatementLine] = []
        for cid in component_ids:
            out += [line for line in self.earlier.get(cid, ()) if line.person_id == person_id]
        return out

    def earned(self, person_id: int, component_ids: Iterable[str]) -> Decimal:
        """Sum of a person's already-rounded lines from the named earlier components."""
        return sum((line.amount for line in self.lines_of(person_id, component_ids)), Decimal("0.00"))

    def issue(
        self, component: Component, code: str, message: str, *, warning: bool = False, source: str | None = None
    ) -> Issue:
        return Issue(
            code,
            f"{component.id}: {message}",
            Severity.WARNING if warning else Severity.ERROR,
            source=source or f"component:{component.id}",
        )

    def line(
        self,
        component: Component,
        person_id: int,
        amount: Decimal,
        formula: str,
        *,
        inputs: Iterable[tuple[str, Any]] = (),
        sources: Iterable[str] = (),
        attribution: Iterable[tuple[int, Decimal]] = (),
    ) -> StatementLine:
        """A statement line for ``component``. ``amount`` must already be rounded to the fen (R5):
        a line that is not is a bug in the component, so it fails loudly."""
        rounded = fen(amount, self.currency)
        if amount.as_tuple() != rounded.as_tuple():
            raise ValueError(f"{component.id}: line amount {amount} is not rounded to the fen")
        if amount == 0:
            amount = abs(rounded)  # never a "-0.00" on a statement
        return StatementLine(
            person_id=person_id,
            component_id=component.id,
            kind=component.kind,
            label=component.label,
            amount=amount,
            formula=formula,
            inputs=tuple(inputs),
            sources=tuple(sources),
            attribution=tuple(attribution),
        )
