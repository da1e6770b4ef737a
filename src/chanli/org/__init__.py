"""org — the people and the tree they work in (组织): company profile, teams, people,
territories and mentorships (师徒协议), and who may see which part of the tree."""

from __future__ import annotations

from chanli.org import queries, service
from chanli.org.model import CompanyProfile, JobRole, MentorshipTerms, PersonDraft, TeamDraft, TeamKind, Tier
from chanli.org.service import NotFound

__all__ = [
    "CompanyProfile",
    "JobRole",
    "MentorshipTerms",
    "NotFound",
    "PersonDraft",
    "TeamDraft",
    "TeamKind",
    "Tier",
    "queries",
    "service",
]
