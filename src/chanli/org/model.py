"""Org values: the people and the tree they work in. Plain frozen dataclasses, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

__all__ = [
    "CompanyProfile",
    "JobRole",
    "MentorshipTerms",
    "PersonDraft",
    "TeamDraft",
    "TeamKind",
    "Tier",
]


class Tier(StrEnum):
    """Training and capacity level (新人 / 骨干 / 精英)."""

    NEW = "new"
    CORE = "core"
    ELITE = "elite"


class TeamKind(StrEnum):
    COMPANY = "company"
    REGION = "region"
    PRODUCT_LINE = "product_line"
    TEAM = "team"
    SQUAD = "squad"


class JobRole(StrEnum):
    """What a person does in the sales org (not their login permission)."""

    REP = "rep"
    MANAGER = "manager"
    DIRECTOR = "director"
    SOLUTION = "solution"  # 解决方案 (iron triangle)
    SERVICE = "service"  # 服务交付 (iron triangle)
    OPS = "ops"


MENTOR_OVERRIDE_MIN = Decimal("0.05")
MENTOR_OVERRIDE_MAX = Decimal("0.10")


@dataclass(frozen=True, slots=True)
class MentorshipTerms:
    """A 师徒协议: the mentor earns an override on the apprentice's commission in [start, end)."""

    mentor_id: int
    apprentice_id: int
    start: date
    end: date | None
    override_rate: Decimal

    def problems(self) -> list[str]:
        out = []
        if self.mentor_id == self.apprentice_id:
            out.append("a person cannot mentor themselves")
        if self.end is not None and self.end <= self.start:
            out.append("the agreement must end after it starts")
        if not MENTOR_OVERRIDE_MIN <= self.override_rate <= MENTOR_OVERRIDE_MAX:
            out.append(f"override rate {self.override_rate} is outside 0.05–0.10 (5–10%)")
        return out

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True, slots=True)
class CompanyProfile:
    name: str
    currency: str = "CNY"
    fiscal_year_start_month: int = 1
    time_zone: str = "Asia/Shanghai"
    locale: str = "zh_CN"


@dataclass(frozen=True, slots=True)
class TeamDraft:
    """A team to create or update (upsert by ``external_id`` when given)."""

    name: str
    kind: TeamKind = TeamKind.TEAM
    parent_id: int | None = None
    external_id: str | None = None
    region_code: str | None = None
    manager_id: int | None = None


@dataclass(frozen=True, slots=True)
class PersonDraft:
    name: str
    team_id: int | None = None
    job_role: JobRole = JobRole.REP
    tier: Tier = Tier.NEW
    email: str | None = None
    phone: str | None = None
    hire_date: date | None = None
    leave_date: date | None = None
    manager_id: int | None = None
    active: bool = True
    external_id: str | None = None
