"""The ``chanli`` command line (Typer + Rich). A thin shell: it parses, calls capability
services through the container, and prints tables or ``--json``.

Exit codes: 0 ok, 1 the work failed, 2 bad usage or bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chanli.cli import bench, data, demo, models  # noqa: F401 - data, demo: importing registers their commands
from chanli.cli import comp as _comp
from chanli.cli import insight as _insight
from chanli.cli import notifications as _notifications
from chanli.cli import process as _process
from chanli.cli import routing as _routing
from chanli.cli import targets as _targets
from chanli.cli.app import app, set_builder

app.add_typer(_targets.app, name="targets")
app.add_typer(models.app, name="models")
app.add_typer(_routing.app, name="routing")
app.add_typer(_process.app, name="approvals")
app.add_typer(_comp.app, name="comp")
app.add_typer(_insight.app, name="insight")
app.add_typer(_notifications.app, name="notifications")
# one `chanli bench` group: capability shells contribute their benchmark commands to it
bench.app.registered_commands.extend(_targets.bench_app.registered_commands)
bench.app.registered_commands.extend(_routing.bench_app.registered_commands)
bench.app.registered_commands.extend(_comp.bench_app.registered_commands)
bench.app.registered_commands.extend(_insight.bench_app.registered_commands)
app.add_typer(bench.app, name="bench")

if TYPE_CHECKING:
    from chanli.bootstrap import Container
    from chanli.core.config import Settings

__all__ = ["app", "run"]


def run(build_container: Callable[[Settings | None], Container]) -> None:
    set_builder(build_container)
    app()
