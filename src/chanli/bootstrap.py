"""The composition root: Settings → engine → session factory → event bus → apps.

The only module that builds long-lived objects. Nothing imports it except the console
script entry and the ASGI factory string used by ``chanli serve``.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from chanli.core.config import Settings
from chanli.core.db import SYSTEM, Actor, UnitOfWork, make_engine, make_session_factory, session_scope
from chanli.core.events import EventBus
from chanli.schema import load_all_tables

if TYPE_CHECKING:
    from fastapi import FastAPI

    from chanli.integrations import Notifier

__all__ = ["Container", "build", "create_app", "create_app_from_env", "main"]


@dataclass
class Container:
    """Everything a shell needs, built once per process (or per test)."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    bus: EventBus = field(default_factory=EventBus)
    notifier: Notifier | None = None  # set by build(); the served app wakes its robot job

    def uow(self, actor: Actor = SYSTEM) -> UnitOfWork:
        return UnitOfWork(self.session_factory, actor=actor, dispatch=self.bus.dispatch)

    def read(self) -> AbstractContextManager[Session]:
        return session_scope(self.session_factory)


def build(
    settings: Settings | None = None,
    *,
    engine: Engine | None = None,
    session_factory: sessionmaker[Session] | None = None,
) -> Container:
    settings = settings or Settings()
    load_all_tables()
    engine = engine or make_engine(settings)
    container = Container(settings, engine, session_factory or make_session_factory(engine))
    _register_handlers(container)
    return container


def _register_handlers(container: Container) -> None:
    """After-commit handlers: every notice goes to its recipient's inbox and, when configured,
    to the group robots (in Chinese, the company's language)."""
    from chanli import integrations
    from chanli.web.i18n import translations

    settings = container.settings
    robots = integrations.robots_from_settings(settings.robots, timeout=settings.robot_timeout_s)
    notifier = integrations.Notifier(container.session_factory, robots=robots,
                                     gettext=translations("zh_CN").gettext)
    integrations.register(container.bus, notifier)
    container.notifier = notifier


def create_app(container: Container) -> FastAPI:
    from chanli.web.app import build_app

    return build_app(container)


def create_app_from_env() -> FastAPI:
    """ASGI factory for ``uvicorn --factory chanli.bootstrap:create_app_from_env``: the served
    app, with the in-process job scheduler unless ``CHANLI_SCHEDULER=false``."""
    container = build()
    app = create_app(container)
    if container.settings.scheduler:
        from functools import partial

        from chanli.jobs import start_scheduler, wake

        scheduler = start_scheduler(container)
        if container.notifier is not None and container.notifier.robots:
            container.notifier.wake = partial(wake, scheduler, "integrations.robots")
        app.router.on_shutdown.append(lambda: scheduler.shutdown(wait=False))
    return app


def main() -> None:
    from chanli.cli import run

    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    run(build_container=build)
