"""The ``chanli`` command line (Typer + Rich). A thin shell: it parses, calls capability
services through the container, and prints tables or ``--json``.

Exit codes: 0 ok, 1 the work failed, 2 bad usage or bad input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from chanli.cli import data, demo  # noqa: F401 - importing registers their commands
from chanli.cli.app import app, set_builder

if TYPE_CHECKING:
    from chanli.bootstrap import Container
    from chanli.core.config import Settings

__all__ = ["app", "run"]


def run(build_container: Callable[[Settings | None], Container]) -> None:
    set_builder(build_container)
    app()
