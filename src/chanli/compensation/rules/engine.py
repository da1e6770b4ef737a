"""The reference run: a plan version over one period's inputs → statements and issues.

Slow and obvious on purpose: it is the executable specification the set-based engine
(``compensation.batch``) is tested against. Components run in plan order; each sees the lines
of the ones before it. Problems in the inputs are reported as ``Issue``s and the run goes on
with what it can compute; a run with errors must not be approved (the service refuses it).
"""

from __future__ import annotations

from collections.abc import Mapping

from chanli.compensation.model import PlanVersion, RunInputs, RunResult, Statement, StatementLine
from chanli.compensation.rules.canonical import fingerprint
from chanli.compensation.rules.crediting import CreditBook
from chanli.compensation.rules.registry import REGISTRY, KindSpec, RunContext
from chanli.core.issues import Issue, Issues, Severity

__all__ = ["calculate", "input_issues"]


def input_issues(plan: PlanVersion, inputs: RunInputs) -> list[Issue]:
    """Problems that make a run's figures unreliable before any component runs."""
    out: list[Issue] = []
    period = inputs.period
    if plan.effective_from >= period.end or (plan.effective_to is not None and plan.effective_to <= period.start):
        out.append(
            Issue("comp.plan_not_in_effect", f"plan {plan.plan.id} v{plan.version} is not in effect in {period.label}")
        )
    elif plan.effective_from > period.start or (plan.effective_to is not None and plan.effective_to < period.end):
        out.append(
            Issue(
                "comp.plan_partly_in_effect",
                f"plan {plan.plan.id} v{plan.version} covers only part of {period.label}",
                Severity.WARNING,
            )
        )
    for name, key in (
        ("people", lambda x: x.id),
        ("orders", lambda x: x.id),
        ("payments", lambda x: x.id),
        ("credit_notes", lambda x: x.id),
        ("lightning_awards", lambda x: x.id),
        ("exchange_rates", lambda x: x.currency),
        ("quotas", lambda x: (x.person_id, x.metric)),
        ("prior_payouts", lambda x: (x.order_id, x.person_id)),
    ):
        seen: set[object] = set()
        for item in getattr(inputs, name):
            k = key(item)
            if k in seen:
                out.append(Issue("comp.duplicate_input", f"{name}: {k} appears twice", source=name))
            seen.add(k)
    return out


def calculate(plan: PlanVersion, inputs: RunInputs, registry: Mapping[str, KindSpec] | None = None) -> RunResult:
    """Run ``plan`` over ``inputs``: one statement per participant (and per anyone else with a
    line, e.g. a leaver with a clawback), lines in plan order, totals = sums of lines."""
    kinds = REGISTRY if registry is None else registry
    issues = Issues(input_issues(plan, inputs))
    period = inputs.period
    participants = tuple(
        sorted(
            (p for p in inputs.people if plan.eligibility.covers(p) and p.employed_days(period) > 0),
            key=lambda p: p.id,
        )
    )
    book = CreditBook(inputs, plan.currency)
    earlier: dict[str, tuple[StatementLine, ...]] = {}
    for component in plan.components:
        spec = kinds.get(component.kind)
        if spec is None:
            issues.error("comp.unknown_kind", f"{component.id}: no component kind {component.kind!r} is registered")
            continue
        ctx = RunContext(plan, inputs, participants, book, dict(earlier))
        result = spec.calculate(component, ctx)
        earlier[component.id] = result.lines
        issues.extend(result.issues)
    issues.extend(book.issues)

    by_person: dict[int, list[StatementLine]] = {p.id: [] for p in participants}
    for component in plan.components:
        for line in earlier.get(component.id, ()):
            by_person.setdefault(line.person_id, []).append(line)
    statements = tuple(
        Statement(pid, period.label, plan.plan.id, plan.version, tuple(by_person[pid])) for pid in sorted(by_person)
    )
    return RunResult(statements, tuple(_ordered(issues)), fingerprint(inputs, plan))


def _ordered(issues: Issues) -> list[Issue]:
    """Issues in a stable order (errors first, then by code and message) without duplicates."""
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: (i.severity is not Severity.ERROR, i.code, i.source or "", i.message))
