"""``chanli notifications …``: a person's inbox from the command line (``--as`` their login)
and the group-robot outbox for the back office (what was sent, what is retrying, what was
given up, and why). A thin shell over ``chanli.integrations``. Exit codes: 0 ok, 2 bad input.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.table import Table

from chanli.cli.common import EXIT_BAD_INPUT, console, container, fail, login_principal, print_json
from chanli.core.auth import Principal, Role

__all__ = ["app"]

app = typer.Typer(help="Notifications (通知): your inbox, and the group-robot outbox.", no_args_is_help=True)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]
AsOption = Annotated[str, typer.Option("--as", help="Whose inbox: a login name.")]
OPERATOR = Principal(user_id=0, username="cli", display_name="cli", role=Role.ADMIN)


@app.command("list")
def list_inbox(
    as_user: AsOption,
    unread: Annotated[bool, typer.Option("--unread", help="Only what is not read yet.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    json_out: JsonOption = False,
) -> None:
    """Your notices, newest first, in Chinese."""
    from chanli.integrations import queries, render_notice
    from chanli.web.i18n import translations

    principal = login_principal(as_user)
    gettext = translations("zh_CN").gettext
    with container().read() as s:
        rows = queries.list_mine(s, principal, unread_only=unread, limit=limit)
    items = []
    for n in rows:
        title, body = render_notice(n.kind, n.params, gettext)
        items.append({"id": n.id, "kind": n.kind, "title": title, "text": body, "link": n.link,
                      "created_at": n.created_at, "unread": n.unread})
    if json_out:
        print_json(items)
        return
    table = Table("#", "", "notice", "when")
    for i in items:
        table.add_row(str(i["id"]), "●" if i["unread"] else "", f"{i['title']}：{i['text']}",
                      f"{i['created_at']:%Y-%m-%d %H:%M}")
    console.print(table)


@app.command("read")
def mark(
    as_user: AsOption,
    notification_id: Annotated[int | None, typer.Argument(help="One notice; leave out with --all.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Mark every notice read.")] = False,
) -> None:
    """Mark one notice (or all of yours) read."""
    from chanli.integrations import NotFound, service

    if (notification_id is None) == (not all_):
        fail("give a notice id or --all (not both)", EXIT_BAD_INPUT)
    principal = login_principal(as_user)
    now = datetime.now(UTC)
    with container().uow() as uow:
        try:
            if all_:
                count = service.mark_all_read(uow, principal, now=now)
            else:
                assert notification_id is not None
                service.mark_read(uow, principal, notification_id, now=now)
                count = 1
        except NotFound:
            fail(f"no notice #{notification_id} in {as_user}'s inbox", EXIT_BAD_INPUT)
        uow.commit()
    console.print(f"{count} marked read")


@app.command("outbox")
def outbox(
    state: Annotated[str | None, typer.Option(help="waiting, sent or failed.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 50,
    json_out: JsonOption = False,
) -> None:
    """Group-robot messages, newest first: state, attempts and the last error."""
    from chanli.integrations import queries

    with container().read() as s:
        try:
            rows = queries.robot_outbox(s, OPERATOR, state=state, limit=limit)
        except ValueError as exc:
            fail(str(exc), EXIT_BAD_INPUT)
    items = [{"id": m.id, "robot": m.robot, "state": m.state, "attempts": m.attempts,
              "created_at": m.created_at, "next_attempt_at": m.next_attempt_at, "sent_at": m.sent_at,
              "failed_at": m.failed_at, "last_error": m.last_error, "text": m.text} for m in rows]
    if json_out:
        print_json(items)
        return
    table = Table("#", "robot", "state", "attempts", "created", "last error", "first line")
    for i in items:
        table.add_row(str(i["id"]), i["robot"], i["state"], str(i["attempts"]), f"{i['created_at']:%Y-%m-%d %H:%M}",
                      i["last_error"] or "", i["text"].splitlines()[0] if i["text"] else "")
    console.print(table)
