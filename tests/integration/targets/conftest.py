"""Targets integration fixtures: the small two-region company, its logins as principals, and
the metric engine on the same store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from chanli.bootstrap import Container
from chanli.core.auth import Principal
from chanli.core.db import Actor
from chanli.org import queries as org_queries
from chanli.org import service as org_service
from chanli.targets import connect_store
from tests.factories import Org


@dataclass
class World:
    store: Container
    org: Org
    con: Any

    def principal(self, username: str) -> Principal:
        with self.store.read() as s:
            user = org_queries.user_by_username(s, username)
            assert user is not None
            return org_service.principal_for_user(s, user)

    def uow(self, username: str = "admin") -> Any:
        p = self.principal(username)
        return self.store.uow(Actor(p.user_id, p.display_name))


@pytest.fixture
def world(store: Container) -> Iterator[World]:
    with store.uow() as uow:
        org = Org(uow)
        uow.commit()
    con = connect_store(store.settings.database_url)
    try:
        yield World(store, org, con)
    finally:
        con.disconnect()
