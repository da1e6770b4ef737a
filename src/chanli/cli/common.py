"""What every command shares: the lazily built container, JSON output and exit codes."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from chanli.bootstrap import Container
    from chanli.core.auth import Principal
    from chanli.core.config import Settings

console = Console()
err_console = Console(stderr=True)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

_state: dict[str, Any] = {"builder": None, "container": None, "db": None}


def set_builder(builder: Callable[[Settings | None], Container]) -> None:
    _state["builder"] = builder


def set_db(url: str | None) -> None:
    if url:
        os.environ["CHANLI_DATABASE_URL"] = url
    _state["container"] = None


def container() -> Container:
    """Build the container on first use, so ``--help`` never opens a database."""
    if _state["container"] is None:
        builder = _state["builder"]
        if builder is None:  # running the Typer app directly (tests): use the default wiring
            from importlib import import_module

            builder = import_module("chanli.bootstrap").build
        from pydantic import ValidationError

        from chanli.core.config import Settings

        try:
            settings = Settings()
        except ValidationError as exc:
            fail(f"invalid settings: {exc.errors()[0]['msg']}", EXIT_BAD_INPUT)
        _state["container"] = builder(settings)
    return _state["container"]  # type: ignore[no-any-return]


def login_principal(username: str) -> Principal:
    """The principal of an active login (``--as``); an unknown or inactive one is bad input."""
    from chanli.org import queries as org_queries
    from chanli.org import service as org_service

    with container().read() as s:
        user = org_queries.user_by_username(s, username)
        if user is None or not user.active:
            fail(f"no active login {username!r}", EXIT_BAD_INPUT)
        return org_service.principal_for_user(s, user)


def reset() -> None:
    _state["container"] = None


def fail(message: str, code: int = EXIT_FAILED, hint: str | None = None) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    if hint:
        err_console.print(f"[dim]→ {hint}[/]")
    raise typer.Exit(code)


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot serialise {type(value).__name__}")


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, default=_default, ensure_ascii=False, indent=2))
