"""What a notification is, before and after it is stored: a ``Notice`` for one person, of
one ``kind``, with JSON-able params and the link to the page where that person acts.

The text is not stored: it is rendered from ``kind`` + ``params`` when someone reads it, in
their language (``messages.py``), so a wording fix or a new translation reaches old notices too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Context", "Notice", "NoticeKind"]


class NoticeKind(StrEnum):
    CHURN_RISK = "churn_risk"  # 流失预警 → account owner
    LEAD_SLA = "lead_sla"  # 线索超时改派 → the previous owner's manager
    LEADS_ASSIGNED = "leads_assigned"  # 新线索 → each rep who got leads
    APPROVAL_REQUESTED = "approval_requested"  # 待审批 → assignee
    APPROVAL_DECIDED = "approval_decided"  # 审批结果 → requester
    APPROVAL_ESCALATED = "approval_escalated"  # 审批升级 → the new assignee
    STATEMENT_READY = "statement_ready"  # 薪酬明细单已出 → each person with a statement in the run


@dataclass(frozen=True, slots=True)
class Notice:
    """One notification for one person."""

    person_id: int
    kind: NoticeKind
    params: dict[str, Any]
    link: str


@dataclass(frozen=True, slots=True)
class Context:
    """What the mapping needs beyond the event itself, looked up by the handler before it maps:
    people's names (frozen into the notice, like audit names), approval titles, and who has a
    statement in an approved run."""

    names: Mapping[int, str] = field(default_factory=dict)
    approval_titles: Mapping[int, str] = field(default_factory=dict)
    run_people: tuple[int, ...] = ()

    def name(self, person_id: int | None) -> str | None:
        return None if person_id is None else self.names.get(person_id, f"#{person_id}")
