"""The default demo plan, planned once per session (planning is pure and takes ~1 s)."""

from __future__ import annotations

from datetime import date

import pytest

from chanli.demo import DemoPlan, DemoSpec, plan_demo

TODAY = date(2026, 1, 1)


@pytest.fixture(scope="session")
def default_plan() -> DemoPlan:
    return plan_demo(DemoSpec(today=TODAY))
