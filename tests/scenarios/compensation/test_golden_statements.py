"""Golden statements: worked examples as data (``cases/*.yaml``: plan, facts, the hand-worked
amounts) → the statements the reference engine writes, compared byte for byte with a snapshot
(``__snapshots__/<case>.json``: every line with its formula, inputs, sources and attribution).

Given the case's plan and facts, when the run is calculated, then each person's amounts equal
the hand-worked ``expect`` figures exactly, and the whole result equals the snapshot. A change
in wording or rounding shows up as a diff to review. To accept one, run with
``CHANLI_UPDATE_GOLDEN=1`` and commit the snapshot.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from chanli.compensation import (
    CollectionRate,
    CreditNote,
    ExchangeRate,
    Mentorship,
    OrderFact,
    OrderStatus,
    PaymentFact,
    Person,
    PriorPayout,
    Quota,
    RunInputs,
    Split,
    calculate,
    parse_plan,
    result_json,
)
from chanli.core.periods import FiscalCalendar

HERE = Path(__file__).parent
CASES = sorted((HERE / "cases").glob("*.yaml"))
SNAPSHOTS = HERE / "__snapshots__"
UPDATE = os.environ.get("CHANLI_UPDATE_GOLDEN", "") in ("1", "true", "yes")


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _inputs(case: dict[str, Any]) -> RunInputs:
    period = FiscalCalendar().parse(str(case["period"]))
    people = tuple(
        Person(
            p["id"],
            p.get("name", ""),
            p.get("tier", "core"),
            p.get("team_id"),
            p.get("manager_id"),
            p.get("hire_date"),
            p.get("leave_date"),
            _d(p.get("base_salary", "0")),
        )
        for p in case.get("people", [])
    )
    orders = tuple(
        OrderFact(
            o["id"],
            o["owner_id"],
            o["signed_on"],
            _d(o["net_amount"]),
            currency=o.get("currency", "CNY"),
            status=OrderStatus(o.get("status", "active")),
            status_on=o.get("status_on"),
            product=o.get("product"),
            splits=tuple(Split(s["person_id"], _d(s["share"])) for s in o.get("splits", [])),
        )
        for o in case.get("orders", [])
    )
    return RunInputs(
        period=period,
        people=people,
        quotas=tuple(Quota(q["person_id"], q["metric"], _d(q["amount"])) for q in case.get("quotas", [])),
        orders=orders,
        payments=tuple(
            PaymentFact(p["id"], p["order_id"], _d(p["amount"]), p["received_on"]) for p in case.get("payments", [])
        ),
        credit_notes=tuple(
            CreditNote(n["id"], n["order_id"], _d(n["amount"]), n["issued_on"]) for n in case.get("credit_notes", [])
        ),
        collection_rates=tuple(CollectionRate(c["person_id"], _d(c["rate"])) for c in case.get("collection_rates", [])),
        mentorships=tuple(
            Mentorship(m["mentor_id"], m["apprentice_id"], m["start"], m.get("end"), _d(m["rate"]))
            for m in case.get("mentorships", [])
        ),
        exchange_rates=tuple(ExchangeRate(r["currency"], _d(r["rate"])) for r in case.get("exchange_rates", [])),
        prior_payouts=tuple(
            PriorPayout(p["order_id"], p["person_id"], _d(p["paid"]), _d(p.get("clawed_back", "0")))
            for p in case.get("prior_payouts", [])
        ),
    )


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_worked_example_gives_the_hand_worked_amounts_and_the_golden_statement(path: Path) -> None:
    case = yaml.safe_load(path.read_text(encoding="utf-8"))
    result = calculate(parse_plan(case["plan"]), _inputs(case))
    got: dict[int, dict[str, str]] = {}
    for st in result.statements:
        amounts = {cid: str(st.amount_of(cid)) for cid in dict.fromkeys(ln.component_id for ln in st.lines)}
        got[st.person_id] = {**amounts, "total": str(st.total)}
    expected = {int(pid): {k: str(v) for k, v in figures.items()} for pid, figures in case["expect"].items()}
    assert got == expected
    assert [i for i in result.issues if i.is_error] == []
    for st in result.statements:
        assert st.total == sum((ln.amount for ln in st.lines), Decimal("0.00"))
    text = json.dumps(json.loads(result_json(result)), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    snapshot = SNAPSHOTS / f"{path.stem}.json"
    if UPDATE or not snapshot.exists():
        SNAPSHOTS.mkdir(exist_ok=True)
        snapshot.write_text(text, encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"wrote the first snapshot {snapshot.name}: review it, then run again")
    assert text == snapshot.read_text(encoding="utf-8"), f"{snapshot.name} differs (CHANLI_UPDATE_GOLDEN=1 to accept)"


def test_the_cases_exist() -> None:
    """Guards the parametrization: no case files would make the golden test pass vacuously."""
    assert [p.stem for p in CASES] == ["clawback_across_periods", "seed_worked_example", "splits_and_team_rollup"]
