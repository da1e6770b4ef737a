"""``chanli bench routing``: the pure engine on a large synthetic company, and the latency of
the single-lead path that a web form takes.

The company is generated, not loaded, so the figure measures the engine alone: 2,000 reps in
10 territories (30 provinces), tiers new/core/elite, two industry and two product skills
each, some on leave, with every policy step on (account owner, territory, score, industry,
product, capacity). Leads have provinces, industries, products, scores, and one in ten
belongs to an existing customer.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from chanli.core.auth import Role
from chanli.core.db import UnitOfWork
from chanli.org import JobRole, PersonDraft, TeamDraft, TeamKind, Tier
from chanli.org import service as org_service
from chanli.routing.model import LeadIn, Rep, RoutingPolicy, TerritoryIn
from chanli.routing.rules import route

__all__ = ["PROVINCES", "latencies", "seed_company", "synthetic_company", "synthetic_leads", "time_engine"]

PROVINCES = (
    "上海", "江苏", "浙江", "安徽", "福建", "江西", "山东", "北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林",
    "黑龙江", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏", "陕西", "甘肃",
    "青海", "宁夏",
)
INDUSTRIES = ("制造", "金融", "零售", "医疗", "教育", "政府", "互联网", "能源")
PRODUCTS = ("CRM", "ERP", "BI", "云平台", "安全")
BENCH_POLICY = RoutingPolicy(capacity_by_tier={"new": 60, "core": 80, "elite": 100})


def synthetic_company(reps: int = 2000, territories: int = 10, seed: int = 7) -> tuple[list[Rep], list[TerritoryIn]]:
    rng = random.Random(seed)
    per = max(len(PROVINCES) // territories, 1)
    terr = [TerritoryIn(f"T{i:02d}", f"区域{i + 1}", 100 + i, frozenset(PROVINCES[i * per : (i + 1) * per]))
            for i in range(territories)]
    roster = [
        Rep(i + 1, f"销售{i + 1}", (1, 100 + i % territories), rng.choice(("new", "core", "core", "elite")),
            on_leave=i % 97 == 0, load=rng.randint(0, 10), industries=frozenset(rng.sample(INDUSTRIES, 2)),
            products=frozenset(rng.sample(PRODUCTS, 2)))
        for i in range(reps)
    ]
    return roster, terr


def synthetic_leads(n: int, reps: int = 2000, seed: int = 11) -> list[LeadIn]:
    rng = random.Random(seed)
    start = datetime(2026, 10, 1, tzinfo=UTC)
    return [
        LeadIn(i + 1, start + timedelta(seconds=i), rng.choice(PROVINCES), None, rng.choice(INDUSTRIES),
               rng.choice(PRODUCTS), rng.randint(1, reps) if rng.random() < 0.1 else None,
               rng.choice((None, "A", "B", "C")), Decimal(rng.randint(0, 100)))
        for i in range(n)
    ]


def time_engine(leads: int = 100_000, reps: int = 2000) -> dict[str, Any]:
    """Route ``leads`` leads with every policy on; seconds and leads/s (generation not timed)."""
    roster, terr = synthetic_company(reps)
    batch = synthetic_leads(leads, reps)
    t0 = time.perf_counter()
    result = route(batch, roster, terr, {None: BENCH_POLICY})
    seconds = time.perf_counter() - t0
    outcomes: dict[str, int] = {}
    for a in result.assignments:
        outcomes[a.outcome.value] = outcomes.get(a.outcome.value, 0) + 1
    return {"leads": leads, "reps": reps, "seconds": round(seconds, 3),
            "leads_per_s": round(leads / seconds) if seconds else None, "outcomes": dict(sorted(outcomes.items()))}


def seed_company(uow: UnitOfWork, reps: int = 200, territories: int = 10, seed: int = 5) -> str:
    """A company for the single-lead latency: teams with territories, reps with skills, and an
    admin login (returned) to call the API with."""
    from chanli.routing import service

    rng = random.Random(seed)
    company = org_service.create_team(uow, TeamDraft("产力科技", TeamKind.COMPANY))
    system = _system_principal()
    per = max(len(PROVINCES) // territories, 1)
    for i in range(territories):
        team = org_service.create_team(uow, TeamDraft(f"区域{i + 1}", TeamKind.REGION, parent_id=company.id))
        org_service.upsert_territory(uow, code=f"T{i:02d}", name=f"区域{i + 1}", team_id=team.id,
                                     provinces=PROVINCES[i * per : (i + 1) * per])
        for j in range(reps // territories):
            person = org_service.create_person(uow, PersonDraft(
                f"销售{i}-{j}", team_id=team.id, job_role=JobRole.REP, tier=rng.choice(list(Tier))))
            service.set_rep(uow, system, person.id, capacity=10_000, industries=rng.sample(INDUSTRIES, 2),
                            products=rng.sample(PRODUCTS, 2))
    org_service.add_user(uow, username="bench-admin", password="bench-pass-123", role=Role.ADMIN)
    return "bench-admin"


def _system_principal() -> Any:
    from chanli.core.auth import Principal

    return Principal(user_id=0, username="system", display_name="system", role=Role.ADMIN)


def latencies(call: Callable[[int], None], n: int = 200) -> dict[str, float]:
    """Call ``call(i)`` ``n`` times (after 5 warm-ups); p50 and p99 in milliseconds."""
    for i in range(5):
        call(-1 - i)
    samples = []
    for i in range(n):
        t0 = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2),
            "p99_ms": round(samples[min(len(samples) - 1, int(0.99 * len(samples)))], 2)}
