"""Server-rendered pages (Jinja2 + HTMX + ECharts). Views call capability queries only.

Why a thin shell: who may see which row is decided once, in the capabilities' scoped
queries, so a page can never show more than the API would. A view parses the request,
asks the queries, and hands plain rows to a template; it never touches tables or SQL.

Conventions every list page follows:

- filters are a GET form; with HTMX (``HX-Request``) the view returns only the results
  fragment and the browser pushes the filtered URL, so links and the back button work;
  without JavaScript the same form reloads the whole page;
- pagination asks for one row more than a page to know whether a next page exists
  (no COUNT over large tables);
- anonymous callers are sent to ``/login`` (303, or ``HX-Redirect`` for HTMX requests);
- a record outside the caller's scope is answered exactly like a missing one (404).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import format_decimal, format_percent
from fastapi import FastAPI, Form, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from chanli.api.deps import get_container, principal_from_request, uow_for
from chanli.core.auth import NotAuthenticated, Principal, verify_password
from chanli.core.db import UnitOfWork
from chanli.core.money import format_money
from chanli.core.periods import FiscalCalendar, Grain
from chanli.crm import model as crm_model
from chanli.crm import queries as crm_queries
from chanli.integrations import render_notice
from chanli.org import model as org_model
from chanli.org import queries as org_queries
from chanli.web.i18n import DEFAULT_LOCALE, LOCALES, negotiate, translations
from chanli.web.labels import label

__all__ = [
    "PAGE_SIZE",
    "PERIOD_PRESETS",
    "int_or_none",
    "login_redirect",
    "mount",
    "optional_principal",
    "render",
    "resolve_period",
]

HERE = Path(__file__).parent
PAGE_SIZE = 50
DEFAULT_TIME_ZONE = "Asia/Shanghai"
PERIOD_PRESETS = ("12m", "month", "quarter", "year")
_ENVS: dict[str, Environment] = {}
T = TypeVar("T")


# --- rendering ------------------------------------------------------------------------------


def _babel_locale(locale: str) -> str:
    return "zh_CN" if locale == "zh_CN" else "en"


@pass_context
def _local_time(ctx: Context, value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """Timestamps are stored in UTC; people read them in the company's time zone."""
    if value is None:
        return ""
    tz: ZoneInfo = ctx.get("tz") or ZoneInfo(DEFAULT_TIME_ZONE)
    return value.astimezone(tz).strftime(fmt)


def _env(locale: str) -> Environment:
    env = _ENVS.get(locale)
    if env is None:
        env = Environment(
            loader=FileSystemLoader(HERE / "templates"),
            autoescape=select_autoescape(["html"]),
            extensions=["jinja2.ext.i18n"],
        )
        trans = translations(locale)
        env.install_gettext_translations(trans, newstyle=True)  # type: ignore[attr-defined]
        babel_locale = _babel_locale(locale)
        env.filters["money"] = lambda v, cur="CNY": format_money(Decimal(v), cur, babel_locale)
        env.filters["label"] = lambda code, kind: trans.gettext(label(kind, code)) if code else ""
        env.filters["stage_label"] = lambda code: trans.gettext(label("stage", code))
        env.filters["percent"] = lambda v: "" if v is None else format_percent(Decimal(v), locale=babel_locale)
        env.filters["number"] = lambda v: "" if v is None else format_decimal(v, locale=babel_locale)
        env.filters["local_time"] = _local_time
        env.globals["notice_text"] = lambda row: render_notice(row.kind, row.params, trans.gettext)
        _ENVS[locale] = env
    return env


def locale_of(request: Request, principal: Principal | None = None) -> str:
    """``?lang=`` wins, then the remembered cookie, then the user's profile, then the browser."""
    requested = request.query_params.get("lang") or request.cookies.get("chanli_lang")
    if requested not in LOCALES and principal is not None:
        requested = principal.locale
    return negotiate(requested, request.headers.get("accept-language"), DEFAULT_LOCALE)


def _url_with(request: Request, **params: Any) -> str:
    """This page's path and query with ``params`` replaced (``None`` removes one)."""
    query = {k: v for k, v in request.query_params.items() if k not in params and v != ""}
    query.update({k: str(v) for k, v in params.items() if v is not None and v != ""})
    encoded = "&".join(f"{quote(k)}={quote(v)}" for k, v in query.items())
    return request.url.path + (f"?{encoded}" if encoded else "")


def _time_zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or DEFAULT_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIME_ZONE)


def render(request: Request, template: str, principal: Principal | None = None, status: int = 200,
           *, nav: str | None = None, tz: ZoneInfo | None = None, **context: Any) -> HTMLResponse:
    locale = locale_of(request, principal)
    html = _env(locale).get_template(template).render(
        request=request, principal=principal, locale=locale, locales=LOCALES, nav=nav,
        tz=tz or ZoneInfo(DEFAULT_TIME_ZONE),
        url_with=lambda **kw: _url_with(request, **kw),
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["Vary"] = "HX-Request, Cookie"
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie("chanli_lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax")
    return response


def _is_fragment(request: Request) -> bool:
    """An HTMX swap wants only the results; a history restore needs the whole page."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if request.headers.get("hx-request") == "true":
        # htmx would follow a 303 inside the XHR and swap the login form into the table;
        # HX-Redirect makes the browser itself go to the login page.
        return Response(status_code=401, headers={"HX-Redirect": location})
    return RedirectResponse(location, status_code=303)


def page_action(
    request: Request,
    work: Callable[[UnitOfWork, Principal], T],
    *,
    done: str | Callable[[T], str],
    failed: str,
    errors: tuple[type[Exception], ...],
    missing: tuple[type[Exception], ...] = (),
) -> Response:
    """What every form post does around its use case: the caller (else the login page), ``work``
    in one unit of work that commits, then 303 to ``done`` (a path, or made from ``work``'s
    result). When ``work`` raises one of ``errors`` nothing is committed and the browser goes
    back to ``failed`` with the message as ``error=`` (cut to 300 characters, to keep the URL
    short); one of ``missing`` answers the 404 page."""
    with get_container(request).read() as s:
        principal = optional_principal(request, s)
    if principal is None:
        return login_redirect(request)
    try:
        with uow_for(request, principal) as uow:
            result = work(uow, principal)
            uow.commit()
    except missing:
        return render(request, "404.html", principal, status=404)
    except errors as exc:
        sep = "&" if "?" in failed else "?"
        return RedirectResponse(f"{failed}{sep}error={quote(str(exc)[:300], safe='')}", status_code=303)
    return RedirectResponse(done(result) if callable(done) else done, status_code=303)


def _local_path(target: str) -> str:
    """Only paths on this site: browsers read ``//host`` and ``/\\host`` as another site."""
    if target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/"


def optional_principal(request: Request, s: Session) -> Principal | None:
    """The caller, or ``None`` when not logged in (pages then redirect to the login)."""
    try:
        return principal_from_request(request, s)
    except NotAuthenticated:
        return None


def _company_tz(s: Session) -> ZoneInfo:
    profile = org_queries.company_profile(s)
    return _time_zone(profile.time_zone if profile else None)


def _not_found(request: Request, principal: Principal | None, tz: ZoneInfo | None = None) -> HTMLResponse:
    return render(request, "404.html", principal, status=404, tz=tz)


# --- request parsing ------------------------------------------------------------------------


def int_or_none(value: str | None) -> int | None:
    """Empty or malformed filter values mean "no filter", not a 422 page."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _choice(value: str | None, allowed: Sequence[str]) -> str | None:
    return value if value in allowed else None


def _text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value[:100] or None


@dataclass(frozen=True, slots=True)
class Pager:
    """Page ``number`` (from 1) of a list, and whether a next page exists."""

    number: int
    size: int
    has_next: bool = False

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_prev(self) -> bool:
        return self.number > 1


def _pager(request: Request) -> Pager:
    return Pager(max(int_or_none(request.query_params.get("page")) or 1, 1), PAGE_SIZE)


def _paged(pager: Pager, fetch: Callable[[int, int], list[T]]) -> tuple[list[T], Pager]:
    """Fetch one row more than a page to learn whether there is a next page."""
    rows = fetch(pager.size + 1, pager.offset)
    return rows[: pager.size], Pager(pager.number, pager.size, len(rows) > pager.size)


def _list_page(request: Request, principal: Principal, template: str, fragment: str, *, nav: str,
               tz: ZoneInfo, **context: Any) -> HTMLResponse:
    return render(request, fragment if _is_fragment(request) else template, principal, nav=nav, tz=tz, **context)


# --- dashboard period -----------------------------------------------------------------------


def _month(value: str | None) -> date | None:
    """``2026-10`` → 2026-10-01; anything else → ``None``."""
    try:
        year, month = (value or "").split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        return None


def _next_month(day: date) -> date:
    return date(day.year + 1, 1, 1) if day.month == 12 else date(day.year, day.month + 1, 1)


def resolve_period(preset: str | None, first: str | None, last: str | None, *, latest_end: date,
                   fiscal_start_month: int = 1) -> tuple[str, date, date]:
    """The dashboard's half-open ``[start, end)`` from the period picker.

    Presets are anchored on the newest month with facts (``latest_end`` is the first day
    after it), so an imported history shows its own months rather than empty ones. A custom
    range is given as inclusive months (``from``/``to`` = ``2026-01``/``2026-10``).
    """
    start, end_month = _month(first), _month(last)
    if start and end_month and start > end_month:
        start, end_month = end_month, start  # a reversed range means the same months
    if start or end_month:
        end = _next_month(end_month) if end_month else latest_end
        start = start or date(end.year - 1, end.month, 1)
        if start >= end:  # only a "from" after the newest facts: show that month
            end = _next_month(start)
        return "custom", start, end
    anchor = date(latest_end.year, latest_end.month, 1)
    anchor = date(anchor.year - 1, 12, 1) if anchor.month == 1 else date(anchor.year, anchor.month - 1, 1)
    calendar = FiscalCalendar(fiscal_start_month)
    if preset == "month":
        p = calendar.containing(anchor, Grain.MONTH)
        return preset, p.start, p.end
    if preset == "quarter":
        p = calendar.containing(anchor, Grain.QUARTER)
        return preset, p.start, p.end
    if preset == "year":
        p = calendar.containing(anchor, Grain.YEAR)
        return preset, p.start, p.end
    return "12m", date(latest_end.year - 1, latest_end.month, 1), latest_end


# --- team tree ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TreeNode:
    """A team row for the indented tree, with the headcount of its whole subtree."""

    team: org_queries.TeamRow
    indent: int
    subtree_headcount: int


def _team_tree(teams: list[org_queries.TeamRow]) -> list[TreeNode]:
    """Teams come in path order; indent relative to the shallowest visible team, and add up
    headcounts down each subtree (a region's own headcount is usually just its manager)."""
    if not teams:
        return []
    top = min(t.depth for t in teams)
    return [
        TreeNode(t, t.depth - top, sum(u.headcount for u in teams if u.path.startswith(t.path)))
        for t in teams
    ]


# --- routes ---------------------------------------------------------------------------------


def mount(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(StarletteHTTPException)
    async def _html_errors(request: Request, exc: StarletteHTTPException) -> Response:
        """Unknown page URLs get the page 404; the API keeps its JSON answers."""
        if exc.status_code != 404 or request.url.path.startswith(("/api", "/static")):
            return await http_exception_handler(request, exc)
        def page() -> HTMLResponse:
            with get_container(request).read() as s:
                return _not_found(request, optional_principal(request, s))

        return await run_in_threadpool(page)

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html", next=next, error=None, username="")

    @app.post("/login", include_in_schema=False)
    def login(request: Request, username: str = Form(""), password: str = Form(""),
              next: str = Form("/")) -> Response:
        container = get_container(request)
        with container.read() as s:
            user = org_queries.user_by_username(s, username.strip())
            ok = user is not None and user.active and verify_password(user.password_hash, password)
            if not ok or user is None:
                return render(request, "login.html", next=next, error="wrong_credentials",
                              username=username, status=401)
            request.session["uid"] = user.id
            request.session["tv"] = user.token_version
        return RedirectResponse(_local_path(next), status_code=303)

    @app.post("/logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request, period: str | None = None) -> Response:
        params = request.query_params
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            profile = org_queries.company_profile(s)
            chosen, start, end = resolve_period(
                period, params.get("from"), params.get("to"),
                latest_end=crm_queries.latest_fact_month_end(s),
                fiscal_start_month=profile.fiscal_year_start_month if profile else 1,
            )
            board = crm_queries.dashboard(s, principal, start, end)
            tz = _time_zone(profile.time_zone if profile else None)
        last_day = end - timedelta(days=1)
        return render(request, "dashboard.html", principal, nav="home", tz=tz, board=board, period=chosen,
                      presets=PERIOD_PRESETS, first_month=f"{start:%Y-%m}", last_month=f"{last_day:%Y-%m}",
                      last_day=last_day)

    @app.get("/people", response_class=HTMLResponse, include_in_schema=False)
    def people(request: Request) -> Response:
        params = request.query_params
        team_id = int_or_none(params.get("team_id"))
        tier = _choice(params.get("tier"), [t.value for t in org_model.Tier])
        search = _text(params.get("q"))
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            teams = org_queries.list_teams(s, principal)
            rows, pager = _paged(_pager(request), lambda limit, offset: org_queries.list_people(
                s, principal, team_id=team_id, tier=tier, search=search, limit=limit, offset=offset))
            tz = _company_tz(s)
        return _list_page(request, principal, "people.html", "_people_table.html", nav="people", tz=tz,
                          rows=rows, pager=pager, tree=_team_tree(teams),
                          filters={"team_id": team_id, "tier": tier, "q": search or ""},
                          tiers=[t.value for t in org_model.Tier])

    @app.get("/people/{person_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def person(request: Request, person_id: int) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            tz = _company_tz(s)
            row = org_queries.get_person(s, principal, person_id)
            if row is None:
                return _not_found(request, principal, tz)
            accounts = crm_queries.list_accounts(s, principal, owner_id=person_id, limit=PAGE_SIZE)
            opportunities = crm_queries.list_opportunities(s, principal, owner_id=person_id, status="open",
                                                           limit=PAGE_SIZE)
            mentorships = [m for m in org_queries.list_mentorships(s, principal)
                           if person_id in (m.mentor_id, m.apprentice_id)]
        return render(request, "person.html", principal, nav="people", tz=tz, person=row, accounts=accounts,
                      opportunities=opportunities, mentorships=mentorships,
                      open_total=sum((o.amount for o in opportunities), Decimal(0)))

    @app.get("/accounts", response_class=HTMLResponse, include_in_schema=False)
    def accounts(request: Request) -> Response:
        params = request.query_params
        grade = _choice(params.get("grade"), [g.value for g in crm_model.Grade])
        search = _text(params.get("q"))
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            rows, pager = _paged(_pager(request), lambda limit, offset: crm_queries.list_accounts(
                s, principal, grade=grade, search=search, limit=limit, offset=offset))
            tz = _company_tz(s)
        return _list_page(request, principal, "accounts.html", "_accounts_table.html", nav="accounts", tz=tz,
                          rows=rows, pager=pager, filters={"grade": grade, "q": search or ""},
                          grades=[g.value for g in crm_model.Grade])

    @app.get("/leads", response_class=HTMLResponse, include_in_schema=False)
    def leads(request: Request) -> Response:
        params = request.query_params
        status = _choice(params.get("status"), [st.value for st in crm_model.LeadStatus])
        source = _text(params.get("source"))
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            rows, pager = _paged(_pager(request), lambda limit, offset: crm_queries.list_leads(
                s, principal, status=status, source=source, limit=limit, offset=offset))
            sources = crm_queries.lead_sources(s, principal)
            tz = _company_tz(s)
        return _list_page(request, principal, "leads.html", "_leads_table.html", nav="leads", tz=tz,
                          rows=rows, pager=pager, filters={"status": status, "source": source},
                          statuses=[st.value for st in crm_model.LeadStatus], sources=sources)

    @app.get("/opportunities", response_class=HTMLResponse, include_in_schema=False)
    def opportunities(request: Request) -> Response:
        params = request.query_params
        stage = _choice(params.get("stage"), [st.value for st in crm_model.Stage])
        status = _choice(params.get("status"), [st.value for st in crm_model.OpportunityStatus])
        owner_id = int_or_none(params.get("owner_id"))
        search = _text(params.get("q"))
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            rows, pager = _paged(_pager(request), lambda limit, offset: crm_queries.list_opportunities(
                s, principal, stage=stage, status=status, owner_id=owner_id, search=search,
                limit=limit, offset=offset))
            owners = org_queries.list_people(s, principal)
            tz = _company_tz(s)
        return _list_page(request, principal, "opportunities.html", "_opportunities_table.html",
                          nav="opportunities", tz=tz, rows=rows, pager=pager,
                          filters={"stage": stage, "status": status, "owner_id": owner_id, "q": search or ""},
                          stages=[st.value for st in crm_model.Stage],
                          statuses=[st.value for st in crm_model.OpportunityStatus], owners=owners)

    @app.get("/opportunities/{opportunity_id:int}", response_class=HTMLResponse, include_in_schema=False)
    def opportunity(request: Request, opportunity_id: int) -> Response:
        with get_container(request).read() as s:
            principal = optional_principal(request, s)
            if principal is None:
                return login_redirect(request)
            tz = _company_tz(s)
            detail = crm_queries.get_opportunity(s, principal, opportunity_id)
            if detail is None:
                return _not_found(request, principal, tz)
        o = detail.opportunity
        open_stages = [st.value for st in crm_model.STAGES]
        return render(request, "opportunity.html", principal, nav="opportunities", tz=tz, detail=detail, o=o,
                      open_stages=open_stages, reached=_reached_stage(detail, open_stages),
                      weighted=o.amount * o.probability)


def _reached_stage(detail: crm_queries.OpportunityDetail, open_stages: list[str]) -> int:
    """Index of the stage the deal is at (open), or past the last one (won), or where it was
    lost — read from its history, since a lost deal's current stage is just ``lost``."""
    o = detail.opportunity
    if o.stage in open_stages:
        return open_stages.index(o.stage)
    if o.status != crm_model.OpportunityStatus.LOST.value:
        return len(open_stages)
    seen = [open_stages.index(h.from_stage) for h in detail.stage_history if h.from_stage in open_stages]
    return max(seen, default=0)
