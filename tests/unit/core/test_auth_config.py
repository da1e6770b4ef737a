"""Passwords, tokens, permissions and settings: the gates in front of every request."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import Column, Integer, MetaData, Table, select

from chanli.core.auth import (
    NotAuthenticated,
    Principal,
    Role,
    hash_password,
    issue_token,
    read_token,
    scope,
    verify_password,
)
from chanli.core.config import Settings, normalise_database_url


def test_passwords_are_stored_as_argon2id_and_verify_only_the_right_one():
    h = hash_password("correct horse")
    assert h.startswith("$argon2id$")
    assert verify_password(h, "correct horse")
    assert not verify_password(h, "wrong horse")
    assert not verify_password("not-a-hash", "correct horse")
    with pytest.raises(ValueError, match="8 characters"):
        hash_password("short")


def test_tokens_are_signed_and_carry_the_revocation_version():
    token = issue_token("s" * 32, user_id=7, token_version=3)
    assert read_token("s" * 32, token, max_age_s=60) == (7, 3)
    with pytest.raises(NotAuthenticated, match="invalid"):
        read_token("another-secret" * 3, token, max_age_s=60)
    with pytest.raises(NotAuthenticated, match="invalid"):
        read_token("s" * 32, token[:-2] + "xx", max_age_s=60)


_rows = Table("rows", MetaData(), Column("id", Integer), Column("team_id", Integer), Column("person_id", Integer))


def _where(principal: Principal, **cols: object) -> str:
    stmt = scope(select(_rows.c.id), principal, **cols)  # type: ignore[arg-type]
    return (
        str(stmt.compile(compile_kwargs={"literal_binds": True})).split("WHERE", 1)[-1].strip()
        if "WHERE" in str(stmt)
        else ""
    )


def test_scope_restricts_managers_to_their_teams_and_reps_to_themselves():
    admin = Principal(1, "a", "a", Role.ADMIN)
    manager = Principal(2, "m", "m", Role.MANAGER, person_id=20, visible_team_ids=frozenset({3, 4}))
    rep = Principal(3, "r", "r", Role.REP, person_id=30, visible_team_ids=frozenset())
    assert _where(admin, team_col=_rows.c.team_id, person_col=_rows.c.person_id) == ""
    assert (
        _where(manager, team_col=_rows.c.team_id, person_col=_rows.c.person_id)
        == "rows.person_id = 20 OR rows.team_id IN (3, 4)"
    )
    assert _where(rep, team_col=_rows.c.team_id, person_col=_rows.c.person_id) == "rows.person_id = 30"


def test_scope_fails_closed_when_a_restricted_caller_has_nothing_to_match():
    rep_without_person = Principal(3, "r", "r", Role.REP, person_id=None, visible_team_ids=frozenset())
    assert _where(rep_without_person, team_col=_rows.c.team_id) == "false"


def test_permissions_table_answers_per_role_and_rejects_unknown_actions():
    rep = Principal(3, "r", "r", Role.REP)
    assert rep.can("crm.read") and not rep.can("data.import") and not rep.can("users.manage")
    with pytest.raises(KeyError):
        rep.can("crm.delete_everything")


def test_database_urls_people_paste_are_normalised_to_the_shipped_driver():
    assert normalise_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_database_url("sqlite:///chanli.db") == "sqlite:///chanli.db"
    with pytest.raises(ValueError, match="unsupported database URL"):
        normalise_database_url("mysql://u@h/db")


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CHANLI_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="CHANLI_SECRET_KEY"):
        Settings()
    monkeypatch.setenv("CHANLI_SECRET_KEY", "x" * 40)
    assert Settings().environment == "prod"
