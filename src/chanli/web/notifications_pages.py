"""The inbox page and the bell: ``/notifications`` lists the caller's notices (newest first,
all or unread), each with a button that marks it read and goes where the person acts; the
bell in the top bar loads its unread count as a small HTMX fragment, so no other page pays
for it and pages that pass their own context cannot break it.

Marking read answers HTMX with the updated item (and tells the bell to refresh); without
JavaScript the same forms post and the page reloads.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from chanli.api.deps import get_container, uow_for
from chanli.core.db import utcnow
from chanli.integrations import NotFound, queries, service
from chanli.web.pages import PAGE_SIZE, int_or_none, login_redirect, optional_principal, render

__all__ = ["mount"]

REFRESH_BELL = {"HX-Trigger": "notifications-changed"}


def _local(link: str) -> str:
    """Links are written by our own mapping, but never send anyone off-site."""
    return link if link.startswith("/") and not link.startswith(("//", "/\\")) else "/notifications"


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def mount(app: FastAPI) -> None:
    @app.get("/notifications", response_class=HTMLResponse, include_in_schema=False)
    def inbox(request: Request) -> Response:
        unread_only = request.query_params.get("unread") in ("1", "true")
        page = max(int_or_none(request.query_params.get("page")) or 1, 1)
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            rows = queries.list_mine(s, principal, unread_only=unread_only, limit=PAGE_SIZE + 1,
                                     offset=(page - 1) * PAGE_SIZE)
            unread = queries.unread_count(s, principal)
        return render(request, "notifications.html", principal, nav="notifications", rows=rows[:PAGE_SIZE],
                      unread=unread, unread_only=unread_only, page=page, has_next=len(rows) > PAGE_SIZE)

    @app.get("/notifications/badge", response_class=HTMLResponse, include_in_schema=False)
    def badge(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            count = queries.unread_count(s, principal) if principal is not None else 0
        text = "" if count == 0 else ("99+" if count > 99 else str(count))
        return HTMLResponse(text, headers={"Cache-Control": "no-store"})

    def _mark_read(request: Request, notification_id: int) -> Response:
        """Mark one read; then HTMX gets the updated item, a form post goes back to the inbox,
        and ``?go=1`` goes on to the page where the person acts."""
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        try:
            with uow_for(request, principal) as uow:
                service.mark_read(uow, principal, notification_id, now=utcnow())
                uow.commit()
                row = queries.get_mine(uow.session, principal, notification_id)
        except NotFound:
            row = None
        if row is None:
            return render(request, "404.html", principal, status=404)
        if request.query_params.get("go") == "1":
            return RedirectResponse(_local(row.link), status_code=303)
        if _is_htmx(request):
            response = render(request, "_notification_item.html", principal, n=row)
            response.headers.update(REFRESH_BELL)
            return response
        return RedirectResponse("/notifications", status_code=303)

    @app.post("/notifications/{notification_id:int}/read", include_in_schema=False)
    def read_one(request: Request, notification_id: int) -> Response:
        return _mark_read(request, notification_id)

    @app.post("/notifications/read-all", include_in_schema=False)
    def read_all(request: Request) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
        with uow_for(request, principal) as uow:
            service.mark_all_read(uow, principal, now=utcnow())
            uow.commit()
        if _is_htmx(request):
            return Response(status_code=204, headers={"HX-Redirect": "/notifications"})
        return RedirectResponse("/notifications", status_code=303)
