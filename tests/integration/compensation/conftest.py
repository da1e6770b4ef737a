"""Compensation integration fixtures: the world of ``world.py`` on each store."""

from __future__ import annotations

import pytest

from tests.integration.compensation.world import CompWorld, build_world


@pytest.fixture
def world(store) -> CompWorld:  # type: ignore[no-untyped-def]
    return build_world(store)
