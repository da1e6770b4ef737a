"""The demo company (seed 88, today 2026-01-01), built once per module on SQLite, for the
insight tests that need a year of believable history (complaints → churn, call transcripts,
won and lost deals). Building takes ~7 s; the services under test run on top of it.

The services themselves are also tested on both stores with small hand-made facts
(``test_services.py``); the demo is about whether the models learn the demo's patterns.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from chanli.bootstrap import Container, build
from chanli.core.config import Settings
from chanli.demo import DEMO_ACTOR, DemoSpec, build_demo

TODAY = date(2026, 1, 1)


@pytest.fixture(scope="module")
def demo(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    folder = tmp_path_factory.mktemp("insight-demo")
    path = folder / "chanli.db"
    shutil.copy(request.getfixturevalue("sqlite_template"), path)
    container = build(Settings(environment="test", database_url=f"sqlite:///{path}",
                               model_dir=folder / "models"))
    with container.uow(DEMO_ACTOR) as uow:
        build_demo(uow, DemoSpec(today=TODAY))
        uow.commit()
    try:
        yield container
    finally:
        container.engine.dispose()


def model_dir(container: Container) -> Path:
    return Path(container.settings.model_dir)
