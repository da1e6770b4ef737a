"""The one place where domain errors become HTTP answers.

Bad input is the caller's to fix, so it gets a 4xx with a message (and, for validation,
every issue with its location); only genuine bugs are 500s.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError

from chanli.core.auth import Forbidden, NotAuthenticated
from chanli.core.issues import Conflict, ValidationFailed
from chanli.crm import NotFound as CrmNotFound
from chanli.org import NotFound as OrgNotFound

__all__ = ["install_error_handlers"]

log = logging.getLogger(__name__)


def _json(status: int, message: str, **extra: object) -> JSONResponse:
    return JSONResponse({"detail": message, **extra}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(NotAuthenticated)
    async def _401(_r: Request, exc: NotAuthenticated) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=401, headers={"WWW-Authenticate": "Bearer"})

    @app.exception_handler(Forbidden)
    async def _403(_r: Request, exc: Forbidden) -> JSONResponse:
        return _json(403, str(exc))

    @app.exception_handler(OrgNotFound)
    @app.exception_handler(CrmNotFound)
    async def _404(_r: Request, exc: LookupError) -> JSONResponse:
        return _json(404, str(exc))

    @app.exception_handler(ValidationFailed)
    async def _422(_r: Request, exc: ValidationFailed) -> JSONResponse:
        return _json(422, str(exc), issues=[i.as_dict() for i in exc.issues])

    @app.exception_handler(RequestValidationError)
    async def _422_request(_r: Request, exc: RequestValidationError) -> JSONResponse:
        issues = [
            {"code": e.get("type"), "message": e.get("msg"), "column": ".".join(str(p) for p in e.get("loc", ()))}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{i['column']}: {i['message']}" for i in issues[:3])
        return _json(422, summary or "invalid request", issues=issues)

    @app.exception_handler(IntegrityError)
    async def _409(_r: Request, exc: IntegrityError) -> JSONResponse:
        log.info("integrity error: %s", exc.orig)
        return _json(409, "conflicts with existing data (duplicate or missing reference)")

    @app.exception_handler(Conflict)
    async def _409_state(_r: Request, exc: Conflict) -> JSONResponse:
        return _json(409, str(exc))

    @app.exception_handler(ValueError)
    async def _400(_r: Request, exc: ValueError) -> JSONResponse:
        return _json(400, str(exc))
