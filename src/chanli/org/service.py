"""Org use cases: company profile, teams, people, mentorships, and who may see what.

Every function takes a ``UnitOfWork`` and leaves the commit to the caller, so an import of
a thousand people and a single edit from the web share the same code path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from chanli.core.audit import record, snapshot
from chanli.core.auth import Principal, Role, User, hash_password
from chanli.core.db import UnitOfWork
from chanli.core.issues import Issue, ValidationFailed
from chanli.org.model import CompanyProfile, JobRole, MentorshipTerms, PersonDraft, TeamDraft
from chanli.org.tables import Company, Mentorship, Person, Team, Territory

__all__ = [
    "NotFound",
    "add_mentorship",
    "add_user",
    "bulk_insert",
    "create_person",
    "create_team",
    "principal_for_user",
    "save_company",
    "set_team_manager",
    "update_person",
    "update_team",
    "upsert_people",
    "upsert_teams",
    "upsert_territory",
]


class NotFound(LookupError):
    """A referenced object does not exist (HTTP 404)."""


def save_company(uow: UnitOfWork, profile: CompanyProfile) -> Company:
    s = uow.session
    company = s.scalars(select(Company).limit(1)).first()
    before = snapshot(company) if company else None
    if company is None:
        company = Company(name=profile.name)
        s.add(company)
    company.name = profile.name
    company.currency = profile.currency
    company.fiscal_year_start_month = profile.fiscal_year_start_month
    company.time_zone = profile.time_zone
    company.locale = profile.locale
    s.flush()
    record(s, uow.actor, "company.save", "company", company.id, before=before, after=snapshot(company))
    return company


def _parent_path(s: Session, parent_id: int | None) -> tuple[str, int]:
    if parent_id is None:
        return "/", 0
    parent = s.get(Team, parent_id)
    if parent is None:
        raise NotFound(f"parent team {parent_id} does not exist")
    return parent.path, parent.depth + 1


def create_team(uow: UnitOfWork, draft: TeamDraft) -> Team:
    s = uow.session
    path, depth = _parent_path(s, draft.parent_id)
    team = Team(
        name=draft.name,
        kind=draft.kind.value,
        parent_id=draft.parent_id,
        external_id=draft.external_id,
        region_code=draft.region_code,
        manager_id=draft.manager_id,
        depth=depth,
    )
    s.add(team)
    s.flush()
    team.path = f"{path}{team.id}/"
    record(s, uow.actor, "team.create", "team", team.id, after=snapshot(team))
    return team


def upsert_teams(uow: UnitOfWork, drafts: Sequence[TeamDraft]) -> tuple[int, int]:
    """Create or update teams by external id, parents before children. Returns (created, updated)."""
    s = uow.session
    created = updated = 0
    for draft in drafts:
        existing = (
            s.scalars(select(Team).where(Team.external_id == draft.external_id)).first() if draft.external_id else None
        )
        if existing is None:
            create_team(uow, draft)
            created += 1
            continue
        before = snapshot(existing)
        existing.name = draft.name
        existing.kind = draft.kind.value
        existing.region_code = draft.region_code
        if draft.manager_id is not None:
            existing.manager_id = draft.manager_id
        if existing.parent_id != draft.parent_id:
            _reparent(s, existing, draft.parent_id)
        after = snapshot(existing)
        if after != before:
            record(s, uow.actor, "team.update", "team", existing.id, before=before, after=after)
            updated += 1
    return created, updated


def _reparent(s: Session, team: Team, parent_id: int | None) -> None:
    path, depth = _parent_path(s, parent_id)
    if parent_id is not None and f"/{team.id}/" in path:
        raise ValidationFailed([Issue("team.cycle", f"team {team.name} cannot be moved under its own subtree")])
    old_prefix = team.path
    new_prefix = f"{path}{team.id}/"
    delta = depth - team.depth
    for child in s.scalars(select(Team).where(Team.path.startswith(old_prefix))):
        child.path = new_prefix + child.path[len(old_prefix) :]
        child.depth += delta
    team.parent_id = parent_id


def set_team_manager(uow: UnitOfWork, team_id: int, person_id: int | None) -> Team:
    """Name (or clear) a team's manager; managers see the team's whole subtree."""
    s = uow.session
    team = s.get(Team, team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist")
    if person_id is not None and s.get(Person, person_id) is None:
        raise NotFound(f"person {person_id} does not exist")
    before = snapshot(team, ["manager_id"])
    team.manager_id = person_id
    s.flush()
    record(s, uow.actor, "team.manager", "team", team.id, before=before, after=snapshot(team, ["manager_id"]))
    return team


def _person_issues(s: Session, draft: PersonDraft) -> list[Issue]:
    issues = []
    if not draft.name.strip():
        issues.append(Issue("person.name", "a person needs a name", column="name"))
    if draft.team_id is not None and s.get(Team, draft.team_id) is None:
        issues.append(Issue("person.team", f"team {draft.team_id} does not exist", column="team"))
    if draft.leave_date and draft.hire_date and draft.leave_date < draft.hire_date:
        issues.append(Issue("person.dates", "leave date is before hire date", column="leave_date"))
    return issues


def create_person(uow: UnitOfWork, draft: PersonDraft) -> Person:
    s = uow.session
    issues = _person_issues(s, draft)
    if issues:
        raise ValidationFailed(issues)
    person = Person()
    _apply_person(person, draft)
    s.add(person)
    s.flush()
    if draft.job_role in (JobRole.MANAGER, JobRole.DIRECTOR) and draft.team_id is not None:
        team = s.get(Team, draft.team_id)
        if team is not None and team.manager_id is None:
            team.manager_id = person.id
    record(s, uow.actor, "person.create", "person", person.id, after=snapshot(person))
    return person


def _apply_person(person: Person, draft: PersonDraft) -> None:
    person.name = draft.name.strip()
    person.team_id = draft.team_id
    person.job_role = draft.job_role.value
    person.tier = draft.tier.value
    person.email = draft.email
    person.phone = draft.phone
    person.hire_date = draft.hire_date
    person.leave_date = draft.leave_date
    person.manager_id = draft.manager_id
    person.active = draft.active
    person.external_id = draft.external_id


def upsert_people(uow: UnitOfWork, drafts: Sequence[PersonDraft]) -> tuple[int, int]:
    """Create or update people by external id; every change to an existing person is audited
    field by field because tier, team and manager feed compensation."""
    s = uow.session
    keys = [d.external_id for d in drafts if d.external_id]
    existing = {p.external_id: p for p in s.scalars(select(Person).where(Person.external_id.in_(keys)))} if keys else {}
    created = updated = 0
    for draft in drafts:
        person = existing.get(draft.external_id) if draft.external_id else None
        if person is None:
            create_person(uow, draft)
            created += 1
            continue
        issues = _person_issues(s, draft)
        if issues:
            raise ValidationFailed(issues)
        before = snapshot(person)
        _apply_person(person, draft)
        after = snapshot(person)
        if after != before:
            record(s, uow.actor, "person.update", "person", person.id, before=before, after=after)
            updated += 1
    s.flush()
    return created, updated


def add_mentorship(uow: UnitOfWork, terms: MentorshipTerms) -> Mentorship:
    s = uow.session
    problems = terms.problems()
    for pid in (terms.mentor_id, terms.apprentice_id):
        if s.get(Person, pid) is None:
            problems.append(f"person {pid} does not exist")
    if problems:
        raise ValidationFailed([Issue("mentorship.invalid", p) for p in problems])
    m = Mentorship(
        mentor_id=terms.mentor_id,
        apprentice_id=terms.apprentice_id,
        start_date=terms.start,
        end_date=terms.end,
        override_rate=terms.override_rate,
        signed_at=datetime.now(UTC),
    )
    s.add(m)
    s.flush()
    record(s, uow.actor, "mentorship.create", "mentorship", m.id, after=snapshot(m))
    return m


def add_user(
    uow: UnitOfWork,
    *,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    person_id: int | None = None,
    email: str | None = None,
    password_hash: str | None = None,
) -> User:
    """Create a login. Reps and managers must be linked to a person so scoping can work."""
    s = uow.session
    if s.scalars(select(User).where(User.username == username)).first() is not None:
        raise ValidationFailed([Issue("user.exists", f"user {username!r} already exists", column="username")])
    if role in (Role.REP, Role.MANAGER) and person_id is None:
        raise ValidationFailed(
            [Issue("user.person", f"a {role.value} login must be linked to a person", column="person")]
        )
    if person_id is not None and s.get(Person, person_id) is None:
        raise NotFound(f"person {person_id} does not exist")
    user = User(
        username=username,
        display_name=display_name or username,
        email=email,
        password_hash=password_hash or hash_password(password),
        role=role.value,
        person_id=person_id,
    )
    s.add(user)
    s.flush()
    record(s, uow.actor, "user.create", "user", user.id, after=snapshot(user, ["username", "role", "person_id"]))
    return user


def principal_for_user(s: Session, user: User) -> Principal:
    """Build the caller's principal, with the teams they may see.

    A manager sees every team below the teams they manage (or their own team if they manage
    none on record); a rep sees only their own rows; back-office roles see everything.
    """
    role = Role(user.role)
    visible: frozenset[int] | None = None
    if role is Role.REP:
        visible = frozenset()
    elif role is Role.MANAGER:
        roots: set[int] = set()
        if user.person_id is not None:
            roots.update(s.scalars(select(Team.id).where(Team.manager_id == user.person_id)))
            if not roots:
                person = s.get(Person, user.person_id)
                if person is not None and person.team_id is not None:
                    roots.add(person.team_id)
        paths = list(s.scalars(select(Team.path).where(Team.id.in_(roots)))) if roots else []
        ids: set[int] = set()
        if paths:
            ids.update(s.scalars(select(Team.id).where(or_(*(Team.path.startswith(p) for p in paths)))))
        visible = frozenset(ids)
    return Principal(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=role,
        person_id=user.person_id,
        visible_team_ids=visible,
        locale=user.locale,
    )


def touch_login(uow: UnitOfWork, user_id: int) -> None:
    uow.session.execute(update(User).where(User.id == user_id).values(last_login_at=datetime.now(UTC)))


def upsert_territory(
    uow: UnitOfWork,
    *,
    code: str,
    name: str,
    team_id: int | None = None,
    provinces: Sequence[str] = (),
    industries: Sequence[str] = (),
) -> int:
    """Create or update a territory (the provinces and/or industries a team covers) by its
    code; lead routing matches on it. Returns the territory id."""
    s = uow.session
    if team_id is not None and s.get(Team, team_id) is None:
        raise NotFound(f"team {team_id} does not exist")
    territory = s.scalars(select(Territory).where(Territory.code == code)).first()
    before = snapshot(territory) if territory else None
    if territory is None:
        territory = Territory(code=code)
        s.add(territory)
    territory.name = name
    territory.team_id = team_id
    territory.provinces = ",".join(provinces) or None
    territory.industries = ",".join(industries) or None
    s.flush()
    after = snapshot(territory)
    if after != before:
        record(s, uow.actor, "territory.save", "territory", territory.id, before=before, after=after)
    return territory.id


def update_team(uow: UnitOfWork, team_id: int, draft: TeamDraft) -> bool:
    """Update a team found by id rather than external id (an import matched it by its name
    because it has none). Returns whether anything changed; a change is audited."""
    s = uow.session
    team = s.get(Team, team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist")
    before = snapshot(team)
    team.name = draft.name
    team.kind = draft.kind.value
    team.region_code = draft.region_code
    if draft.external_id:
        team.external_id = draft.external_id
    if team.parent_id != draft.parent_id:
        _reparent(s, team, draft.parent_id)
    after = snapshot(team)
    if after == before:
        return False
    record(s, uow.actor, "team.update", "team", team.id, before=before, after=after)
    return True


def update_person(uow: UnitOfWork, person_id: int, draft: PersonDraft) -> bool:
    """Update a person found by id rather than external id (an import matched them by their
    name because they have none). Returns whether anything changed; a change is audited."""
    s = uow.session
    person = s.get(Person, person_id)
    if person is None:
        raise NotFound(f"person {person_id} does not exist")
    issues = _person_issues(s, draft)
    if issues:
        raise ValidationFailed(issues)
    before = snapshot(person)
    _apply_person(person, draft)
    if not draft.external_id:
        person.external_id = before["external_id"]
    after = snapshot(person)
    if after == before:
        return False
    s.flush()
    record(s, uow.actor, "person.update", "person", person.id, before=before, after=after)
    return True


_BULK: dict[str, Any] = {"teams": Team, "people": Person}


def bulk_insert(uow: UnitOfWork, entity: str, columns: Mapping[str, Sequence[Any]]) -> int:
    """Insert many *new* teams or people, given column by column (benchmark-sized orgs).

    Ids are given, parents and managers before the rows that point at them, and a team's
    ``path``/``depth`` consistent with those ids; PostgreSQL's id sequence is moved past them.
    One audit entry per call. Returns the rows inserted.
    """
    if entity not in _BULK:
        raise ValueError(f"bulk insert supports {', '.join(_BULK)}, not {entity!r}")
    table = _BULK[entity].__table__
    names = list(columns)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*(columns[c] for c in names), strict=True)]
    if not rows:
        return 0
    s = uow.session
    s.execute(insert(table), rows)
    if "id" in columns and s.get_bind().dialect.name == "postgresql":
        s.execute(select(func.setval(func.pg_get_serial_sequence(table.name, "id"),
                                     select(func.max(table.c.id)).scalar_subquery())))
    record(s, uow.actor, f"{entity}.bulk_insert", entity, None, after={"created": len(rows)})
    return len(rows)
