"""Org endpoints: teams, people, mentorships."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from chanli.api.deps import CurrentPrincipal, ReadSession, uow_for
from chanli.core.auth import require
from chanli.org import JobRole, MentorshipTerms, NotFound, PersonDraft, TeamDraft, TeamKind, Tier
from chanli.org import queries as org_queries
from chanli.org import service as org_service

router = APIRouter(tags=["org"])


class TeamRead(BaseModel):
    id: int
    name: str
    kind: str
    parent_id: int | None
    depth: int
    manager_name: str | None
    headcount: int
    external_id: str | None


class TeamCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    kind: TeamKind = TeamKind.TEAM
    parent_id: int | None = None
    external_id: str | None = None
    region_code: str | None = None


class PersonRead(BaseModel):
    id: int
    name: str
    email: str | None
    job_role: str
    tier: str
    team_id: int | None
    team_name: str | None
    manager_id: int | None
    manager_name: str | None
    hire_date: date | None
    active: bool
    external_id: str | None


class PersonCreate(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    team_id: int | None = None
    job_role: JobRole = JobRole.REP
    tier: Tier = Tier.NEW
    email: str | None = None
    phone: str | None = None
    hire_date: date | None = None
    manager_id: int | None = None
    external_id: str | None = None


class MentorshipCreate(BaseModel):
    mentor_id: int
    apprentice_id: int
    start_date: date
    end_date: date | None = None
    override_rate: Decimal = Field(description="0.05–0.10 (5–10%) of the apprentice's commission")


class MentorshipRead(BaseModel):
    id: int
    mentor_id: int
    mentor_name: str
    apprentice_id: int
    apprentice_name: str
    start_date: date
    end_date: date | None
    override_rate: str


@router.get("/teams", response_model=list[TeamRead])
def list_teams(session: ReadSession, principal: CurrentPrincipal) -> list[TeamRead]:
    require(principal, "org.read")
    return [TeamRead.model_validate(t, from_attributes=True) for t in org_queries.list_teams(session, principal)]


@router.post("/teams", response_model=TeamRead, status_code=201)
def create_team(body: TeamCreate, request: Request, principal: CurrentPrincipal) -> TeamRead:
    require(principal, "org.write")
    with uow_for(request, principal) as uow:
        team = org_service.create_team(uow, TeamDraft(**body.model_dump()))
        uow.commit()
        return TeamRead(
            id=team.id,
            name=team.name,
            kind=team.kind,
            parent_id=team.parent_id,
            depth=team.depth,
            manager_name=None,
            headcount=0,
            external_id=team.external_id,
        )


@router.get("/people", response_model=list[PersonRead])
def list_people(
    session: ReadSession,
    principal: CurrentPrincipal,
    team_id: int | None = None,
    tier: Tier | None = None,
    search: str | None = None,
    include_inactive: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[PersonRead]:
    require(principal, "org.read")
    rows = org_queries.list_people(
        session,
        principal,
        team_id=team_id,
        tier=tier.value if tier else None,
        search=search,
        active=None if include_inactive else True,
        limit=limit,
        offset=offset,
    )
    return [PersonRead.model_validate(p, from_attributes=True) for p in rows]


@router.get("/people/{person_id}", response_model=PersonRead)
def get_person(person_id: int, session: ReadSession, principal: CurrentPrincipal) -> PersonRead:
    require(principal, "org.read")
    row = org_queries.get_person(session, principal, person_id)
    if row is None:
        raise NotFound(f"person {person_id} does not exist")
    return PersonRead.model_validate(row, from_attributes=True)


@router.post("/people", response_model=PersonRead, status_code=201)
def create_person(
    body: PersonCreate, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> PersonRead:
    require(principal, "org.write")
    with uow_for(request, principal) as uow:
        person = org_service.create_person(uow, PersonDraft(**body.model_dump()))
        uow.commit()
        person_id = person.id
    row = org_queries.get_person(session, principal, person_id)
    assert row is not None
    return PersonRead.model_validate(row, from_attributes=True)


@router.get("/mentorships", response_model=list[MentorshipRead])
def list_mentorships(session: ReadSession, principal: CurrentPrincipal) -> list[MentorshipRead]:
    require(principal, "org.read")
    return [
        MentorshipRead.model_validate(m, from_attributes=True) for m in org_queries.list_mentorships(session, principal)
    ]


@router.post("/mentorships", response_model=MentorshipRead, status_code=201)
def create_mentorship(
    body: MentorshipCreate, request: Request, session: ReadSession, principal: CurrentPrincipal
) -> MentorshipRead:
    require(principal, "org.write")
    with uow_for(request, principal) as uow:
        m = org_service.add_mentorship(
            uow, MentorshipTerms(body.mentor_id, body.apprentice_id, body.start_date, body.end_date, body.override_rate)
        )
        uow.commit()
        mid = m.id
    row = next(r for r in org_queries.list_mentorships(session, principal) if r.id == mid)
    return MentorshipRead.model_validate(row, from_attributes=True)
