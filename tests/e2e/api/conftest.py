"""API fixtures: a TestClient over the real app on each store, seeded with the small Org."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import PASSWORD, Org


@dataclass
class Api:
    client: TestClient
    org: Org
    _tokens: dict[str, str] = field(default_factory=dict)

    def token(self, username: str) -> dict[str, str]:
        """Log in once per user through the real endpoint, then reuse the bearer token."""
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}


_APP: list[FastAPI] = []


@pytest.fixture
def api(store) -> Iterator[Api]:  # type: ignore[no-untyped-def]
    """The real app over this test's store. Building the app costs ~0.3 s, so it is built once
    and pointed at each test's container (the app reaches its store only through app.state)."""
    from chanli.bootstrap import create_app

    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    if not _APP:
        _APP.append(create_app(store))
    app = _APP[0]
    app.state.container = store
    with TestClient(app) as client:
        yield Api(client, org)
