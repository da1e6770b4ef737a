"""End-to-end fixtures: the compensation world (``tests.integration.compensation.world``) on the
embedded SQLite store, with a TestClient on the real app and logins per user."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from chanli.bootstrap import create_app
from tests.factories import PASSWORD
from tests.integration.compensation.world import CompWorld, build_world


@dataclass
class Site:
    client: TestClient
    world: CompWorld
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}

    def login(self, username: str) -> None:
        """A page session (cookie) for ``username``."""
        self.client.cookies.clear()
        r = self.client.post("/login", data={"username": username, "password": PASSWORD, "next": "/"})
        assert r.status_code == 303, r.text


@pytest.fixture
def world(sqlite_store) -> CompWorld:  # type: ignore[no-untyped-def]
    return build_world(sqlite_store)


@pytest.fixture
def site(world: CompWorld) -> Iterator[Site]:
    with TestClient(create_app(world.store), follow_redirects=False) as client:
        yield Site(client, world)
