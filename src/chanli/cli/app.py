"""Command definitions. Each command is a few lines: parse → call a service → print."""

from __future__ import annotations

import getpass
from typing import Annotated

import typer
from rich.table import Table

from chanli import __version__
from chanli.cli.common import (
    EXIT_BAD_INPUT,
    console,
    container,
    fail,
    print_json,
    set_builder,
    set_db,
)
from chanli.core.auth import Role
from chanli.core.issues import ValidationFailed
from chanli.org import CompanyProfile
from chanli.org import queries as org_queries
from chanli.org import service as org_service

__all__ = ["app", "set_builder"]

app = typer.Typer(
    name="chanli",
    help="产力 Chanli — targets, process, compensation, engagement and insight for sales teams.\n\n"
    "The store is chosen by --db or CHANLI_DATABASE_URL (default: sqlite:///chanli.db in this folder).",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
users_app = typer.Typer(help="Logins and roles.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL, e.g. sqlite:///chanli.db or postgresql://user@host/db.",
        envvar="CHANLI_DATABASE_URL",
        show_envvar=True,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chanli {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: DbOption = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
) -> None:
    set_db(db)


def _upgrade() -> str | None:
    from chanli.schema import current_revision, upgrade

    c = container()
    upgrade(c.engine)
    return current_revision(c.engine)


@db_app.command("upgrade")
def db_upgrade(json_out: JsonOption = False) -> None:
    """Create or migrate the schema to the newest version (safe to run again)."""
    rev = _upgrade()
    url = container().engine.url.render_as_string(hide_password=True)
    if json_out:
        print_json({"database": url, "revision": rev})
    else:
        console.print(f"[green]✓[/] {url} is at revision [bold]{rev}[/]")


@db_app.command("current")
def db_current(json_out: JsonOption = False) -> None:
    """Show the schema revision of the store and the newest one available."""
    from chanli.schema import current_revision, head_revision

    c = container()
    cur, head = current_revision(c.engine), head_revision(c.engine)
    if json_out:
        print_json({"current": cur, "head": head, "up_to_date": cur == head})
    else:
        console.print(f"current: {cur or '— (empty store: run chanli db upgrade)'}   head: {head}")


@app.command("init")
def init(
    company: Annotated[str, typer.Option(help="Company name.")] = "我的公司",
    fiscal_start: Annotated[int, typer.Option(min=1, max=12, help="Month the fiscal year starts (1–12).")] = 1,
    admin_user: Annotated[str, typer.Option(help="Username of the first administrator.")] = "admin",
    admin_password: Annotated[
        str | None,
        typer.Option(
            help="Password for the administrator (asked for when omitted and a terminal is attached).",
            envvar="CHANLI_ADMIN_PASSWORD",
        ),
    ] = None,
    json_out: JsonOption = False,
) -> None:
    """Create the store, the company profile and the first administrator."""
    rev = _upgrade()
    c = container()
    with c.read() as s:
        existing = org_queries.user_by_username(s, admin_user)
    if existing is None and admin_password is None:
        try:
            admin_password = getpass.getpass(f"password for {admin_user}: ")
        except (EOFError, OSError):
            fail("no password given", EXIT_BAD_INPUT, "pass --admin-password or set CHANLI_ADMIN_PASSWORD")
    with c.uow() as uow:
        org_service.save_company(uow, CompanyProfile(name=company, fiscal_year_start_month=fiscal_start))
        if existing is None:
            try:
                org_service.add_user(
                    uow, username=admin_user, password=admin_password or "", role=Role.ADMIN, display_name="管理员"
                )
            except ValueError as exc:
                fail(str(exc), EXIT_BAD_INPUT)
        uow.commit()
    if json_out:
        print_json({"revision": rev, "company": company, "admin": admin_user, "admin_created": existing is None})
    else:
        console.print(
            f"[green]✓[/] store ready (revision {rev}); company [bold]{company}[/]; "
            f"administrator [bold]{admin_user}[/]{'' if existing is None else ' (already existed)'}"
        )
        console.print("next: [bold]chanli import people people.xlsx[/] or [bold]chanli serve[/]")


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="Permission role.")],
    person: Annotated[
        str | None, typer.Option(help="Person's external id or exact name (required for rep/manager).")
    ] = None,
    password: Annotated[
        str | None, typer.Option(help="Password (asked for when omitted).", envvar="CHANLI_USER_PASSWORD")
    ] = None,
    name: Annotated[str | None, typer.Option(help="Display name (defaults to the person's name).")] = None,
    json_out: JsonOption = False,
) -> None:
    """Create a login and link it to a person in the org."""
    c = container()
    person_id = None
    with c.read() as s:
        if person:
            by_ext = org_queries.external_ids(s, "person", [person])
            by_name = org_queries.names_to_ids(s, "person", [person]).get(person, [])
            if person in by_ext:
                person_id = by_ext[person]
            elif len(by_name) == 1:
                person_id = by_name[0]
            elif len(by_name) > 1:
                fail(f"{len(by_name)} people are named {person!r}", EXIT_BAD_INPUT, "use their external id")
            else:
                fail(
                    f"no person with external id or name {person!r}",
                    EXIT_BAD_INPUT,
                    "import people first: chanli import people FILE",
                )
    if password is None:
        try:
            password = getpass.getpass(f"password for {username}: ")
        except (EOFError, OSError):
            fail("no password given", EXIT_BAD_INPUT, "pass --password or set CHANLI_USER_PASSWORD")
    with c.uow() as uow:
        try:
            user = org_service.add_user(
                uow,
                username=username,
                password=password,
                role=role,
                person_id=person_id,
                display_name=name or person or username,
            )
        except ValidationFailed as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        except ValueError as exc:
            fail(str(exc), EXIT_BAD_INPUT)
        uow.commit()
        result = {"id": user.id, "username": user.username, "role": user.role, "person_id": user.person_id}
    if json_out:
        print_json(result)
    else:
        console.print(f"[green]✓[/] user [bold]{username}[/] ({role.value}) created")


@users_app.command("list")
def users_list(json_out: JsonOption = False) -> None:
    """List logins."""
    with container().read() as s:
        rows = [
            {
                "id": u.id,
                "username": u.username,
                "display_name": u.display_name,
                "role": u.role,
                "person_id": u.person_id,
                "active": u.active,
            }
            for u in org_queries.list_users(s)
        ]
    if json_out:
        print_json(rows)
        return
    table = Table("id", "username", "name", "role", "person", "active")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["username"],
            r["display_name"],
            r["role"],
            str(r["person_id"] or ""),
            "✓" if r["active"] else "✗",
        )
    console.print(table)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes (the web tier is stateless).")] = 1,
    jobs: Annotated[
        bool,
        typer.Option(
            "--jobs/--no-jobs",
            help="Run timed jobs (SLA sweep, nightly grading) "
            "in this process; turn off where cron runs `chanli jobs run`.",
        ),
    ] = True,
) -> None:
    """Serve the web app and the API (OpenAPI docs at /api/docs)."""
    import os

    import uvicorn

    if not jobs:
        os.environ["CHANLI_SCHEDULER"] = "false"
    container()  # validate settings before binding the port
    console.print(f"Chanli on [bold]http://{host}:{port}[/]  (API docs: http://{host}:{port}/api/docs)")
    uvicorn.run(
        "chanli.bootstrap:create_app_from_env", factory=True, host=host, port=port, workers=workers, log_level="info"
    )


jobs_app = typer.Typer(help="Timed background jobs (idempotent; safe to run from cron).", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("list")
def jobs_list(json_out: JsonOption = False) -> None:
    """The jobs and when the in-process scheduler runs them."""
    from chanli.jobs import JOBS

    rows = [
        {
            "name": j.name,
            "schedule": f"every {j.every_minutes} min" if j.every_minutes else f"daily {j.at_hour:02d}:00",
            "description": j.description,
        }
        for j in JOBS
    ]
    if json_out:
        print_json(rows)
        return
    table = Table("job", "schedule", "what it does")
    for r in rows:
        table.add_row(r["name"], r["schedule"], r["description"])
    console.print(table)


@jobs_app.command("run")
def jobs_run(
    name: Annotated[str, typer.Argument(help="Job name (see `chanli jobs list`).")], json_out: JsonOption = False
) -> None:
    """Run one job now and print what it did."""
    from chanli.jobs import JobBusy, run_job

    try:
        result = run_job(container(), name)
    except KeyError as exc:
        fail(str(exc.args[0]), EXIT_BAD_INPUT)
    except JobBusy as exc:
        fail(str(exc), hint="another process is running it; try again shortly")
    if json_out:
        print_json({"job": name, **result})
    else:
        console.print(f"[green]✓[/] {name}: " + ", ".join(f"{k} {v}" for k, v in result.items()))
