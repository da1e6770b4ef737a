"""The REST API (``/api/v1``): one router per capability, one error mapping, OpenAPI docs at
``/api/docs``. Routers call capability services and queries only."""

from __future__ import annotations

from fastapi import APIRouter

from chanli.api import auth, compensation, crm, data, insight, notifications, org, process, routing, targets
from chanli.api.errors import install_error_handlers

__all__ = ["build_router", "install_error_handlers"]


def build_router() -> APIRouter:
    router = APIRouter(prefix="/api/v1")
    for module in (auth, org, crm, data, targets, process, routing, compensation, insight, notifications):
        router.include_router(module.router)
    return router
