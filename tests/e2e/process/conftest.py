"""API fixtures for process and routing: the real app over each store, seeded with the
pipeline of ``tests.e2e.web.conftest`` (the two-region company, four deals, two leads) plus
two territories: 华东 (上海, 浙江 → 华东大区) and 华北 (北京 → 华北大区)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from chanli.bootstrap import Container, create_app
from chanli.org import service as org_service
from tests.e2e.web.conftest import Pipeline, seed_pipeline
from tests.factories import PASSWORD


@dataclass
class ProcessApi:
    client: TestClient
    p: Pipeline
    store: Container
    _tokens: dict[str, str] = field(default_factory=dict)

    def h(self, username: str) -> dict[str, str]:
        if username not in self._tokens:
            r = self.client.post("/api/v1/auth/token", data={"username": username, "password": PASSWORD})
            assert r.status_code == 200, r.text
            self._tokens[username] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[username]}"}


def seed_territories(uow, p: Pipeline) -> None:  # type: ignore[no-untyped-def]
    org_service.upsert_territory(uow, code="EAST", name="华东", team_id=p.org.east, provinces=["上海", "浙江"])
    org_service.upsert_territory(uow, code="NORTH", name="华北", team_id=p.org.north, provinces=["北京"])


@pytest.fixture
def papi(store: Container) -> Iterator[ProcessApi]:
    with store.uow() as uow:
        p = seed_pipeline(uow)
        seed_territories(uow, p)
        uow.commit()
    with TestClient(create_app(store)) as client:
        yield ProcessApi(client, p, store)
