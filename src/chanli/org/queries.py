"""Scoped reads of the org for the shells. Every list goes through ``core.auth.scope``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from chanli.core.auth import Principal, User, scope
from chanli.org.model import CompanyProfile
from chanli.org.tables import Company, Mentorship, Person, Team

__all__ = [
    "MentorshipRow",
    "PersonRow",
    "TeamRow",
    "company_profile",
    "export_rows_for",
    "external_ids",
    "get_person",
    "list_mentorships",
    "list_people",
    "list_teams",
    "list_users",
    "names_to_ids",
    "person_names",
    "reference_keys",
    "rows_by_key",
    "user_by_id",
    "user_by_username",
]


@dataclass(frozen=True, slots=True)
class TeamRow:
    id: int
    name: str
    kind: str
    parent_id: int | None
    depth: int
    path: str
    manager_name: str | None
    headcount: int
    external_id: str | None


@dataclass(frozen=True, slots=True)
class PersonRow:
    id: int
    name: str
    email: str | None
    job_role: str
    tier: str
    team_id: int | None
    team_name: str | None
    manager_id: int | None
    manager_name: str | None
    hire_date: date | None
    active: bool
    external_id: str | None


@dataclass(frozen=True, slots=True)
class MentorshipRow:
    id: int
    mentor_id: int
    mentor_name: str
    apprentice_id: int
    apprentice_name: str
    start_date: date
    end_date: date | None
    override_rate: str


def company_profile(s: Session) -> CompanyProfile | None:
    c = s.scalars(select(Company).limit(1)).first()
    if c is None:
        return None
    return CompanyProfile(c.name, c.currency, c.fiscal_year_start_month, c.time_zone, c.locale)


def list_teams(s: Session, principal: Principal) -> list[TeamRow]:
    """Teams in tree order (by path). A manager sees their subtree; a rep sees their own team."""
    manager = aliased(Person)
    headcount = (
        select(Person.team_id, func.count(Person.id).label("n"))
        .where(Person.active.is_(True))
        .group_by(Person.team_id)
        .subquery()
    )
    stmt = (
        select(Team, manager.name, func.coalesce(headcount.c.n, 0))
        .outerjoin(manager, manager.id == Team.manager_id)
        .outerjoin(headcount, headcount.c.team_id == Team.id)
        .order_by(Team.path)
    )
    if not principal.sees_all:
        own_team = (
            s.scalar(select(Person.team_id).where(Person.id == principal.person_id)) if principal.person_id else None
        )
        ids = set(principal.visible_team_ids or ()) | ({own_team} if own_team else set())
        stmt = stmt.where(Team.id.in_(sorted(ids)))
    return [
        TeamRow(t.id, t.name, t.kind, t.parent_id, t.depth, t.path, mname, n, t.external_id)
        for t, mname, n in s.execute(stmt)
    ]


def _people_stmt(principal: Principal):  # type: ignore[no-untyped-def]
    manager = aliased(Person)
    stmt = (
        select(Person, Team.name, manager.name)
        .outerjoin(Team, Team.id == Person.team_id)
        .outerjoin(manager, manager.id == Person.manager_id)
    )
    return scope(stmt, principal, team_col=Person.team_id, person_col=Person.id)


def _person_row(p: Person, team_name: str | None, manager_name: str | None) -> PersonRow:
    return PersonRow(
        p.id,
        p.name,
        p.email,
        p.job_role,
        p.tier,
        p.team_id,
        team_name,
        p.manager_id,
        manager_name,
        p.hire_date,
        p.active,
        p.external_id,
    )


def list_people(
    s: Session,
    principal: Principal,
    *,
    team_id: int | None = None,
    tier: str | None = None,
    active: bool | None = True,
    search: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[PersonRow]:
    stmt = _people_stmt(principal)
    if team_id is not None:
        team_path = s.scalar(select(Team.path).where(Team.id == team_id))
        if team_path is None:
            return []
        stmt = stmt.where(Team.path.startswith(team_path))
    if tier:
        stmt = stmt.where(Person.tier == tier)
    if active is not None:
        stmt = stmt.where(Person.active.is_(active))
    if search:
        stmt = stmt.where(Person.name.contains(search))
    stmt = stmt.order_by(Team.path, Person.name).limit(limit).offset(offset)
    return [_person_row(p, tn, mn) for p, tn, mn in s.execute(stmt)]


def get_person(s: Session, principal: Principal, person_id: int) -> PersonRow | None:
    """The person, or ``None`` when they do not exist *or* are outside the caller's scope
    (the API answers 404 for both, so scope does not leak existence)."""
    row = s.execute(_people_stmt(principal).where(Person.id == person_id)).first()
    return _person_row(*row) if row else None


def list_mentorships(s: Session, principal: Principal) -> list[MentorshipRow]:
    mentor = aliased(Person)
    apprentice = aliased(Person)
    stmt = (
        select(Mentorship, mentor.name, apprentice.name)
        .join(mentor, mentor.id == Mentorship.mentor_id)
        .join(apprentice, apprentice.id == Mentorship.apprentice_id)
        .where(Mentorship.deleted_at.is_(None))
        .order_by(Mentorship.start_date)
    )
    stmt = scope(stmt, principal, team_col=apprentice.team_id, person_col=apprentice.id)
    return [
        MentorshipRow(m.id, m.mentor_id, mn, m.apprentice_id, an, m.start_date, m.end_date, str(m.override_rate))
        for m, mn, an in s.execute(stmt)
    ]


def user_by_username(s: Session, username: str) -> User | None:
    return s.scalars(select(User).where(User.username == username)).first()


def user_by_id(s: Session, user_id: int) -> User | None:
    return s.get(User, user_id)


_ENTITIES = {"team": Team, "person": Person}


def external_ids(s: Session, entity: str, keys: list[str]) -> dict[str, int]:
    """Map external ids to row ids for references in imports (``team``, ``person``)."""
    table = _ENTITIES[entity]
    if not keys:
        return {}
    return dict(s.execute(select(table.external_id, table.id).where(table.external_id.in_(keys))).all())  # type: ignore[arg-type]


def names_to_ids(s: Session, entity: str, names: list[str]) -> dict[str, list[int]]:
    """Map names to row ids; a name may be ambiguous, so the caller gets every match."""
    table = _ENTITIES[entity]
    out: dict[str, list[int]] = {}
    if not names:
        return out
    for name, id_ in s.execute(select(table.name, table.id).where(table.name.in_(names))):
        out.setdefault(name, []).append(id_)
    return out


def person_table() -> type[Person]:
    """The people table, for capabilities that scope their rows by the owning person.

    Exposed as a function so ``crm`` can join on people without importing ``org.tables``.
    """
    return Person


def list_users(s: Session) -> list[User]:
    return list(s.scalars(select(User).order_by(User.id)))


# --- for imports and exports (chanli.exchange) ------------------------------------------------


def rows_by_key(
    s: Session, entity: str, *, external_ids: Sequence[str] = (), ids: Sequence[int] = ()
) -> list[dict[str, Any]]:
    """Column values of teams or people found by external id or id, so an import can leave
    the columns its file does not carry as they are."""
    table = _ENTITIES[entity]
    cols = [c.key for c in table.__table__.columns]
    out: list[dict[str, Any]] = []
    for column, keys in ((table.external_id, list(external_ids)), (table.id, list(ids))):
        for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
            for row in s.scalars(select(table).where(column.in_(keys[i : i + 900]))):  # type: ignore[attr-defined]
                out.append({c: getattr(row, c) for c in cols})
    return out


def reference_keys(s: Session, entity: str, ids: Sequence[int]) -> dict[int, str]:
    """id → how an export names a team or person it references: the external id, else the name."""
    table = _ENTITIES[entity]
    keys = sorted(set(ids))
    out: dict[int, str] = {}
    for i in range(0, len(keys), 900):
        stmt = select(table.id, table.external_id, table.name).where(table.id.in_(keys[i : i + 900]))
        for id_, ext, name in s.execute(stmt):
            out[id_] = ext or name
    return out


def person_names(s: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """id → name of the people among ``ids`` (``None`` and unknown ids left out), in a query per
    900 ids, not one per person: a notice may address everyone in a pay run. Unscoped: callers
    are system handlers that already know whom they tell."""
    keys = sorted({i for i in ids if i is not None})
    out: dict[int, str] = {}
    for i in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
        for id_, name in s.execute(select(Person.id, Person.name).where(Person.id.in_(keys[i : i + 900]))):
            out[id_] = name
    return out


def export_rows_for(s: Session, principal: Principal, entity: str, batch: int = 2000) -> Iterator[dict[str, Any]]:
    """Teams (parents before children) or people (by id) the caller may see, as column dicts,
    streamed in batches so an export never holds the whole table."""
    if entity == "team":
        stmt = select(Team).order_by(Team.path, Team.id)
        if not principal.sees_all:
            own_team = (
                s.scalar(select(Person.team_id).where(Person.id == principal.person_id))
                if principal.person_id else None
            )
            visible = set(principal.visible_team_ids or ()) | ({own_team} if own_team else set())
            stmt = stmt.where(Team.id.in_(sorted(visible)))
        table: Any = Team
    else:
        stmt = scope(select(Person).order_by(Person.id), principal, team_col=Person.team_id, person_col=Person.id)
        table = Person
    cols = [c.key for c in table.__table__.columns]
    for row in s.scalars(stmt.execution_options(yield_per=batch)):
        yield {c: getattr(row, c) for c in cols}
