"""Value builders for compensation tests: plans from plain dicts (through the real plan format),
people, orders and runs with sensible defaults, so a test names only what it is about."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from chanli.compensation import (
    OrderFact,
    Person,
    PlanVersion,
    RunInputs,
    RunResult,
    calculate,
    parse_plan,
)
from chanli.core.periods import FiscalCalendar, Period

CAL = FiscalCalendar()
OCT = CAL.parse("2026-10")  # 31 days
NOV = CAL.parse("2026-11")
Q4 = CAL.parse("2026-Q4")

SEED_TIERS = [
    {"lower": "100%", "upper": "110%", "rate": "3%"},
    {"lower": "110%", "upper": "120%", "rate": "5%"},
    {"lower": "120%", "rate": "8%"},
]


def D(text: str | int) -> Decimal:  # noqa: N802 - mirrors core.money.D
    return Decimal(str(text))


def plan(*components: dict[str, Any], **header: Any) -> PlanVersion:
    data: dict[str, Any] = {"plan": "test", "version": 1, "effective_from": "2026-01-01"}
    data.update(header)
    data["components"] = list(components)
    return parse_plan(data)


def person(pid: int, **kw: Any) -> Person:
    kw.setdefault("name", f"rep{pid}")
    if "base_salary" in kw:
        kw["base_salary"] = D(kw["base_salary"])
    return Person(pid, **kw)


def order(oid: int, owner: int, amount: str | int, signed: date = date(2026, 10, 5), **kw: Any) -> OrderFact:
    return OrderFact(oid, owner, signed, D(amount), **kw)


def run(the_plan: PlanVersion, period: Period = OCT, **facts: Any) -> RunResult:
    facts = {k: tuple(v) for k, v in facts.items()}
    return calculate(the_plan, RunInputs(period=period, **facts))


def amounts(result: RunResult, component_id: str) -> dict[int, Decimal]:
    """Person → amount of one component, over every statement that has it."""
    out: dict[int, Decimal] = {}
    for s in result.statements:
        lines = s.by_component(component_id)
        if lines:
            out[s.person_id] = sum((ln.amount for ln in lines), Decimal("0.00"))
    return out


def codes(result: RunResult) -> list[str]:
    return [i.code for i in result.issues]
