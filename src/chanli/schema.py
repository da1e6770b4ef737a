"""The database schema as a whole: loading every capability's tables and running Alembic.

Why here and not in ``core``: the full table list names capabilities, which ``core`` may not
import. Shells call ``upgrade()``; they never touch tables themselves.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

__all__ = ["TABLE_MODULES", "alembic_config", "current_revision", "head_revision", "load_all_tables", "upgrade"]

TABLE_MODULES = (
    "chanli.core.auth",
    "chanli.core.audit",
    "chanli.org.tables",
    "chanli.crm.tables",
    "chanli.targets.tables",
    "chanli.process.tables",
    "chanli.routing.tables",
    "chanli.compensation.tables",
    "chanli.insight.tables",
    "chanli.integrations.tables",
)

MIGRATIONS = Path(__file__).with_name("migrations")


def load_all_tables() -> None:
    for name in TABLE_MODULES:
        importlib.import_module(name)


def alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the store to ``revision`` (default: the newest) — the only way schemas change."""
    cfg = alembic_config(engine)
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
