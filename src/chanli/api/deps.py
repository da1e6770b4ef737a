"""Request-scoped dependencies shared by the API and the pages: the container, a read
session, the set-based engine over the store, and the authenticated principal (bearer token
for the API, signed session cookie for pages)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from chanli.core.auth import NotAuthenticated, Principal, read_token
from chanli.core.db import Actor, UnitOfWork
from chanli.core.engine import connect_store
from chanli.org import queries as org_queries
from chanli.org import service as org_service

if TYPE_CHECKING:
    from chanli.bootstrap import Container

__all__ = [
    "ContainerDep", "CurrentPrincipal", "ReadSession", "StoreEngine", "get_store_engine", "principal_from_request",
    "store_engine", "uow_for",
]


def get_container(request: Request) -> Container:
    return request.app.state.container  # type: ignore[no-any-return]


ContainerDep = Annotated["Container", Depends(get_container)]


def get_read_session(request: Request) -> Iterator[Session]:
    with get_container(request).read() as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session)]


@contextmanager
def store_engine(request: Request) -> Iterator[BaseBackend]:
    """The set-based engine (Ibis) over this app's store, for one request or page: opened
    per use and always disconnected, so no connection outlives the request."""
    con = connect_store(get_container(request).settings.database_url)
    try:
        yield con
    finally:
        con.disconnect()


def get_store_engine(request: Request) -> Iterator[BaseBackend]:
    with store_engine(request) as con:
        yield con


StoreEngine = Annotated[BaseBackend, Depends(get_store_engine)]


def principal_from_request(request: Request, session: Session) -> Principal:
    """Resolve the caller from ``Authorization: Bearer`` or the page session cookie."""
    container = get_container(request)
    settings = container.settings
    header = request.headers.get("authorization", "")
    user_id: int | None = None
    version: int | None = None
    if header.lower().startswith("bearer "):
        user_id, version = read_token(settings.secret_key, header[7:].strip(), settings.token_max_age_s)
    elif "session" in request.scope and request.session.get("uid"):
        user_id, version = int(request.session["uid"]), int(request.session.get("tv", 0))
    if user_id is None:
        raise NotAuthenticated("log in first (POST /api/v1/auth/token, then send 'Authorization: Bearer <token>')")
    user = org_queries.user_by_id(session, user_id)
    if user is None or not user.active or user.token_version != version:
        raise NotAuthenticated("your login is no longer valid; log in again")
    principal = org_service.principal_for_user(session, user)
    request.state.principal = principal
    return principal


def get_principal(request: Request, session: ReadSession) -> Principal:
    return principal_from_request(request, session)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def request_id(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    if rid is None:
        rid = request.headers.get("x-request-id") or uuid.uuid4().hex
        request.state.request_id = rid
    return str(rid)


def uow_for(request: Request, principal: Principal) -> UnitOfWork:
    """A unit of work whose audit entries carry the caller and the request id."""
    actor = Actor(user_id=principal.user_id, name=principal.display_name, request_id=request_id(request))
    return get_container(request).uow(actor)
