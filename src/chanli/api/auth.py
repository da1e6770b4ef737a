"""Login, the caller's identity, users and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from pydantic import BaseModel, Field

from chanli.api.deps import ContainerDep, CurrentPrincipal, ReadSession, uow_for
from chanli.core.audit import entries
from chanli.core.auth import NotAuthenticated, Role, issue_token, require, verify_password
from chanli.org import queries as org_queries
from chanli.org import service as org_service

router = APIRouter(tags=["auth"])


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class MeRead(BaseModel):
    user_id: int
    username: str
    display_name: str
    role: Role
    person_id: int | None
    sees_all: bool
    visible_team_ids: list[int] | None


class UserCreate(BaseModel):
    username: str = Field(min_length=2, max_length=80)
    password: str = Field(min_length=8)
    role: Role
    display_name: str | None = None
    person_id: int | None = None
    email: str | None = None


class UserRead(BaseModel):
    id: int
    username: str
    role: str
    person_id: int | None


class AuditRead(BaseModel):
    id: int
    at: datetime
    actor_name: str
    action: str
    object_type: str
    object_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str | None


@router.post("/auth/token", response_model=TokenRead, summary="Log in and get a bearer token")
def login(
    container: ContainerDep,
    session: ReadSession,
    username: Annotated[str, Form()],
    password: Annotated[str, Form()],
) -> TokenRead:
    user = org_queries.user_by_username(session, username)
    if user is None or not user.active or not verify_password(user.password_hash, password):
        raise NotAuthenticated("wrong username or password")
    token = issue_token(container.settings.secret_key, user.id, user.token_version)
    return TokenRead(access_token=token, expires_in=container.settings.token_max_age_s)


@router.get("/me", response_model=MeRead)
def me(principal: CurrentPrincipal) -> MeRead:
    return MeRead(
        user_id=principal.user_id,
        username=principal.username,
        display_name=principal.display_name,
        role=principal.role,
        person_id=principal.person_id,
        sees_all=principal.sees_all,
        visible_team_ids=None if principal.visible_team_ids is None else sorted(principal.visible_team_ids),
    )


@router.post("/users", response_model=UserRead, status_code=201)
def create_user(body: UserCreate, request: Request, principal: CurrentPrincipal) -> UserRead:
    require(principal, "users.manage")
    with uow_for(request, principal) as uow:
        user = org_service.add_user(
            uow,
            username=body.username,
            password=body.password,
            role=body.role,
            display_name=body.display_name,
            person_id=body.person_id,
            email=body.email,
        )
        uow.commit()
        return UserRead(id=user.id, username=user.username, role=user.role, person_id=user.person_id)


@router.get("/audit", response_model=list[AuditRead])
def audit_log(
    session: ReadSession,
    principal: CurrentPrincipal,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditRead]:
    require(principal, "audit.read")
    rows = entries(session, object_type=object_type, object_id=object_id, limit=limit)
    return [AuditRead.model_validate(e, from_attributes=True) for e in rows]
