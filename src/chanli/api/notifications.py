"""The caller's own inbox: list (newest first, optionally unread only), unread count, mark one
read, mark all read. Every role may use it; a notice addressed to someone else answers 404
like a missing one. ``text`` is rendered in ``?lang=`` (zh_CN default, or en)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from chanli.api.deps import CurrentPrincipal, ReadSession, uow_for
from chanli.core.db import utcnow
from chanli.integrations import queries, render_notice, service
from chanli.web.i18n import translations

router = APIRouter(tags=["notifications"])

Lang = Annotated[Literal["zh_CN", "en"] | None, Query(description="language of title and text (default zh_CN)")]


class NotificationRead(BaseModel):
    id: int
    kind: str
    title: str
    text: str
    params: dict[str, Any]
    link: str
    created_at: datetime
    read_at: datetime | None


class UnreadCountRead(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int


@router.get("/notifications", response_model=list[NotificationRead])
def list_notifications(
    s: ReadSession, principal: CurrentPrincipal, unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50, offset: Annotated[int, Query(ge=0)] = 0, lang: Lang = None,
) -> list[NotificationRead]:
    gettext = translations(lang or principal.locale or "zh_CN").gettext
    out = []
    for row in queries.list_mine(s, principal, unread_only=unread, limit=limit, offset=offset):
        title, text = render_notice(row.kind, row.params, gettext)
        out.append(NotificationRead(id=row.id, kind=row.kind, title=title, text=text, params=row.params,
                                    link=row.link, created_at=row.created_at, read_at=row.read_at))
    return out


@router.get("/notifications/unread-count", response_model=UnreadCountRead)
def unread_count(s: ReadSession, principal: CurrentPrincipal) -> UnreadCountRead:
    return UnreadCountRead(unread=queries.unread_count(s, principal))


@router.post("/notifications/read-all", response_model=MarkedRead)
def read_all(request: Request, principal: CurrentPrincipal) -> MarkedRead:
    with uow_for(request, principal) as uow:
        marked = service.mark_all_read(uow, principal, now=utcnow())
        uow.commit()
    return MarkedRead(marked=marked)


@router.post("/notifications/{notification_id}/read", response_model=MarkedRead)
def read_one(request: Request, notification_id: int, principal: CurrentPrincipal) -> MarkedRead:
    with uow_for(request, principal) as uow:
        service.mark_read(uow, principal, notification_id, now=utcnow())
        uow.commit()
    return MarkedRead(marked=1)
