"""Server-rendered pages (Jinja2 + HTMX + ECharts). Views call capability queries only."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape

from chanli.api.deps import get_container, principal_from_request
from chanli.core.auth import NotAuthenticated, Principal, verify_password
from chanli.core.money import format_money
from chanli.crm import queries as crm_queries
from chanli.org import queries as org_queries
from chanli.web.labels import label
from chanli.web.i18n import DEFAULT_LOCALE, LOCALES, negotiate, translations

__all__ = ["mount"]

HERE = Path(__file__).parent
_ENVS: dict[str, Environment] = {}


def _env(locale: str) -> Environment:
    env = _ENVS.get(locale)
    if env is None:
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )
        env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
        trans = translations(locale)
        env.filters["money"] = lambda v, cur="CNY": format_money(Decimal(v), cur, "zh_CN" if locale == "zh_CN" else "en")
        env.filters["label"] = lambda code, kind: trans.gettext(label(kind, code))
        env.filters["stage_label"] = lambda code: trans.gettext(label("stage", code))
        _ENVS[locale] = env
    return env


def locale_of(request: Request) -> str:
    return negotiate(request.query_params.get("lang") or request.cookies.get("chanli_lang"),
                     request.headers.get("accept-language"), DEFAULT_LOCALE)


def render(request: Request, template: str, principal: Principal | None = None, status: int = 200,
           **context: Any) -> HTMLResponse:
    locale = locale_of(request)
    html = _env(locale).get_template(template).render(
        request=request, principal=principal, locale=locale, locales=LOCALES, **context
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie("chanli_lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax")
    return response


def _login_redirect(request: Request) -> RedirectResponse:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:  # noqa: A002
        return render(request, "login.html", next=next, error=None)

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(...), password: str = Form(...),
              next: str = Form("/")) -> Response:  # noqa: A002
        container = get_container(request)
        with container.read() as s:
            user = org_queries.user_by_username(s, username.strip())
            ok = user is not None and user.active and verify_password(user.password_hash, password)
            if not ok or user is None:
                return render(request, "login.html", next=next, error="wrong_credentials", status=401)
            request.session["uid"] = user.id
            request.session["tv"] = user.token_version
        target = next if next.startswith("/") and not next.startswith("//") else "/"
        return RedirectResponse(target, status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, start: date | None = None, end: date | None = None) -> Response:
        container = get_container(request)
        with container.read() as s:
            try:
                principal = principal_from_request(request, s)
            except NotAuthenticated:
                return _login_redirect(request)
            end = end or crm_queries.latest_fact_month_end(s)
            start = start or date(end.year - 1, end.month, 1)
            board = crm_queries.dashboard(s, principal, start, end)
        return render(request, "dashboard.html", principal, board=board)
