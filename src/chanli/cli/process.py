"""``chanli approvals …``: the approvals inbox from the command line — list, show, approve,
reject, and escalate overdue requests (what the scheduler runs).

A thin shell over ``chanli.process``. It acts as the administrator (the back office may
decide any request) unless ``--as USER`` names a login, whose authority then applies: a
regional manager approves what is assigned to them, never their own request.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from chanli.cli.common import EXIT_BAD_INPUT, EXIT_FAILED, console, container, fail, login_principal, print_json
from chanli.core.auth import Forbidden, Principal, Role
from chanli.core.db import Actor, utcnow
from chanli.core.issues import ValidationFailed
from chanli.process import NotFound, queries, service

__all__ = ["app"]

app = typer.Typer(help="Approvals (审批): discounts, compliance reviews, trial fund.", no_args_is_help=True)

CLI_PRINCIPAL = Principal(user_id=0, username="cli", display_name="cli", role=Role.ADMIN)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOption = Annotated[str | None, typer.Option("--as", help="Act as this login (default: the administrator).")]


def _principal(username: str | None) -> Principal:
    return CLI_PRINCIPAL if username is None else login_principal(username)


def _row(r: queries.ApprovalRow) -> dict[str, Any]:
    return {"id": r.id, "kind": r.kind, "title": r.title, "amount": r.amount, "status": r.status, "level": r.level,
            "assignee_person_id": r.assignee_person_id, "requester": r.requester_name, "due_at": r.due_at,
            "decided_at": r.decided_at,
            "steps": [{"at": x.at, "action": x.action, "by": x.actor_name, "comment": x.comment} for x in r.steps]}


@app.command("list")
def list_(
    status: Annotated[str | None, typer.Option(help="pending / approved / rejected.")] = "pending",
    mine: Annotated[bool, typer.Option("--mine", help="Only what the caller must decide.")] = False,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """The inbox, newest first."""
    principal = _principal(as_user)
    with container().read() as s:
        rows = queries.list_approvals(s, principal, status=status or None, assigned_to_me=mine)
    if json_out:
        print_json([_row(r) for r in rows])
        return
    table = Table("id", "类型", "事项", "金额", "状态", "级别", "申请人", "截止", title=f"审批 ({len(rows)})")
    for r in rows:
        table.add_row(str(r.id), r.kind, r.title, f"{r.amount:,}", r.status, r.level, r.requester_name,
                      f"{r.due_at:%Y-%m-%d %H:%M}")
    console.print(table)


@app.command("show")
def show(request_id: int, as_user: AsOption = None, json_out: JsonOption = False) -> None:
    """One request with its full history."""
    with container().read() as s:
        row = queries.get_approval(s, _principal(as_user), request_id)
    if row is None:
        fail(f"approval {request_id} does not exist", EXIT_BAD_INPUT)
    if json_out:
        print_json(_row(row))
        return
    console.print(f"[bold]#{row.id} {row.title}[/] — {row.status} ({row.level})")
    for x in row.steps:
        console.print(f"  {x.at:%Y-%m-%d %H:%M}  {x.action:<9} {x.actor_name}  {x.comment or ''}")


def _decide(request_id: int, approve: bool, comment: str | None, as_user: str | None, json_out: bool) -> None:
    principal = _principal(as_user)
    c = container()
    try:
        with c.uow(Actor(user_id=principal.user_id or None, name=principal.display_name)) as uow:
            if queries.get_approval(uow.session, principal, request_id) is None:
                raise NotFound(f"approval {request_id} does not exist")
            service.decide(uow, principal, request_id, approve=approve, now=utcnow(), comment=comment)
            uow.commit()
            row = queries.get_approval(uow.session, principal, request_id)
    except NotFound as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    except Forbidden as exc:
        fail(str(exc), EXIT_FAILED)
    except ValidationFailed as exc:
        fail(str(exc), EXIT_BAD_INPUT)
    assert row is not None
    if json_out:
        print_json(_row(row))
    else:
        console.print(f"approval {request_id}: [bold]{row.status}[/]")


@app.command("approve")
def approve(
    request_id: int,
    comment: Annotated[str | None, typer.Option("--comment", "-m", help="Why.")] = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Approve a pending request (a pending order is then created)."""
    _decide(request_id, True, comment, as_user, json_out)


@app.command("reject")
def reject(
    request_id: int,
    comment: Annotated[str, typer.Option("--comment", "-m", help="Why (required).")],
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Reject a pending request, with the reason."""
    _decide(request_id, False, comment, as_user, json_out)


@app.command("escalate")
def escalate(json_out: JsonOption = False) -> None:
    """Escalate every request past its deadline one level up (idempotent; the scheduler runs it)."""
    with container().uow(Actor(user_id=None, name="cli")) as uow:
        moved = service.escalate_overdue(uow, now=utcnow())
        uow.commit()
    if json_out:
        print_json({"escalated": moved})
    else:
        console.print(f"escalated {len(moved)} request(s)")
