"""Builds the ASGI app: API routes, page routes, static assets, sessions and i18n."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response
from starlette.middleware.sessions import SessionMiddleware

from chanli import __version__
from chanli.api import build_router, install_error_handlers

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from chanli.bootstrap import Container

__all__ = ["build_app"]


def build_app(container: Container) -> FastAPI:
    app = FastAPI(
        title="Chanli 产力",
        version=__version__,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        description="Sales productivity platform: targets, process, compensation, engagement, insight.",
    )
    app.state.container = container
    install_error_handlers(app)
    app.include_router(build_router())

    from chanli.web import comp_pages, insight_pages, notifications_pages, pages, process_pages, targets_pages

    pages.mount(app)
    targets_pages.mount(app)
    process_pages.mount(app)
    comp_pages.mount(app)
    insight_pages.mount(app)
    notifications_pages.mount(app)
    app.add_middleware(
        SessionMiddleware,
        secret_key=container.settings.secret_key,
        session_cookie="chanli_session",
        max_age=container.settings.token_max_age_s,
        same_site="lax",
        https_only=container.settings.environment == "prod",
    )

    @app.middleware("http")
    async def _request_id(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        request.state.request_id = request.headers.get("x-request-id") or uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    return app
