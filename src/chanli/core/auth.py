"""Users, roles, principals, passwords, tokens and the row-scope function.

Why here: every read of business rows goes through ``scope()`` so that a manager sees
their org subtree and a rep sees only their own records, whichever shell asked. Which
teams a person may see is computed by ``org`` (it owns the tree) and carried on the
``Principal``; core only applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import ForeignKey, String, false, or_
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import ColumnElement, Select

from chanli.core.db import Actor, Base, TimestampMixin, UTCDateTime

__all__ = [
    "PERMISSIONS",
    "Forbidden",
    "NotAuthenticated",
    "Principal",
    "Role",
    "User",
    "hash_password",
    "issue_token",
    "read_token",
    "require",
    "scope",
    "verify_password",
]


class Role(StrEnum):
    ADMIN = "admin"
    SALES_OPS = "sales_ops"
    COMP_ADMIN = "comp_admin"
    FINANCE = "finance"
    MANAGER = "manager"
    REP = "rep"


ALL_ROLES = frozenset(Role)
BACK_OFFICE = frozenset({Role.ADMIN, Role.SALES_OPS, Role.COMP_ADMIN, Role.FINANCE})

# action → roles allowed. Visibility of *rows* is the separate concern of ``scope``.
PERMISSIONS: dict[str, frozenset[Role]] = {
    "org.read": ALL_ROLES,
    "org.write": frozenset({Role.ADMIN, Role.SALES_OPS}),
    "crm.read": ALL_ROLES,
    "crm.write": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER, Role.REP}),
    "data.import": frozenset({Role.ADMIN, Role.SALES_OPS}),
    "data.export": frozenset({Role.ADMIN, Role.SALES_OPS, Role.FINANCE, Role.COMP_ADMIN, Role.MANAGER}),
    "users.manage": frozenset({Role.ADMIN}),
    "audit.read": frozenset({Role.ADMIN, Role.FINANCE, Role.COMP_ADMIN}),
    "dashboard.read": ALL_ROLES,
    # targets and OKR: everyone reads (rows scoped); managers plan within their subtree; HQ approves
    "targets.read": ALL_ROLES,
    "targets.plan": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER}),
    "targets.approve": frozenset({Role.ADMIN, Role.SALES_OPS}),
    "targets.configure": frozenset({Role.ADMIN, Role.SALES_OPS}),
    "okr.write": ALL_ROLES,
    # process: everyone reads (rows scoped); sellers work their deals; managers may override a
    # gate (with a reason, audited); sales ops configure playbooks, grading and the authority matrix
    "process.read": ALL_ROLES,
    "process.work": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER, Role.REP}),
    "process.override": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER}),
    "process.configure": frozenset({Role.ADMIN, Role.SALES_OPS}),
    "approvals.request": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER, Role.REP}),
    "approvals.decide": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER}),
    # lead routing: managers and sales ops assign; sales ops configure the policies
    "routing.read": ALL_ROLES,
    "routing.assign": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER}),
    "routing.configure": frozenset({Role.ADMIN, Role.SALES_OPS}),
    # compensation: everyone reads their own statements (rows scoped) and may dispute a line and
    # redeem points; comp admins configure plans and run; finance approves (maker-checker) and
    # hands off to payroll; managers grant lightning awards within their budget
    "comp.read": ALL_ROLES,
    "comp.review": frozenset({Role.ADMIN, Role.COMP_ADMIN, Role.FINANCE}),
    "comp.configure": frozenset({Role.ADMIN, Role.COMP_ADMIN}),
    "comp.facts": frozenset({Role.ADMIN, Role.COMP_ADMIN, Role.FINANCE}),
    "comp.run": frozenset({Role.ADMIN, Role.COMP_ADMIN}),
    "comp.approve": frozenset({Role.ADMIN, Role.FINANCE}),
    "comp.payroll": frozenset({Role.ADMIN, Role.FINANCE}),
    "comp.dispute": ALL_ROLES,
    "comp.resolve": frozenset({Role.ADMIN, Role.COMP_ADMIN}),
    "comp.award": frozenset({Role.ADMIN, Role.COMP_ADMIN, Role.MANAGER}),
    "comp.award.approve": frozenset({Role.ADMIN, Role.COMP_ADMIN}),
    "comp.redeem": ALL_ROLES,
    # insight: everyone reads (rows scoped: a rep sees their own warnings and calls); leaders open
    # the war room; sales ops train and score the models and enter market facts; owners and their
    # managers log interventions on churn warnings
    "insight.read": ALL_ROLES,
    "insight.warroom": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER}),
    "insight.train": frozenset({Role.ADMIN, Role.SALES_OPS}),
    "insight.configure": frozenset({Role.ADMIN, Role.SALES_OPS}),
    "insight.intervene": frozenset({Role.ADMIN, Role.SALES_OPS, Role.MANAGER, Role.REP}),
    # notifications: everyone reads and marks their own inbox (rows: their person's only); the
    # back office checks the group-robot outbox (what was sent, what is retrying, what failed)
    "notifications.read": ALL_ROLES,
    "notifications.outbox": frozenset({Role.ADMIN, Role.SALES_OPS}),
}


class Forbidden(Exception):
    """The principal may not perform this action (HTTP 403)."""


class NotAuthenticated(Exception):
    """No valid credentials (HTTP 401)."""


class User(Base, TimestampMixin):
    """A login. Linked to a person in the org when the user is a rep or manager."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    token_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller and what they may see.

    ``visible_team_ids`` is ``None`` for roles that see everything; otherwise the ids of the
    teams in the caller's subtree (empty for a rep, who sees only their own records).
    """

    user_id: int
    username: str
    display_name: str
    role: Role
    person_id: int | None = None
    visible_team_ids: frozenset[int] | None = None
    locale: str | None = None

    @property
    def sees_all(self) -> bool:
        return self.visible_team_ids is None

    def can(self, action: str) -> bool:
        allowed = PERMISSIONS.get(action)
        if allowed is None:
            raise KeyError(f"unknown action {action!r}")
        return self.role in allowed

    @property
    def actor(self) -> Actor:
        return Actor(user_id=self.user_id, name=self.display_name)


def require(principal: Principal, action: str) -> None:
    if not principal.can(action):
        raise Forbidden(f"role {principal.role.value} may not {action}")


S = TypeVar("S", bound=Select[Any])


def visibility_clause(
    principal: Principal,
    *,
    team_col: ColumnElement[Any] | None = None,
    person_col: ColumnElement[Any] | None = None,
) -> ColumnElement[bool] | None:
    """The WHERE clause for what ``principal`` may see, or ``None`` when unrestricted."""
    if principal.sees_all:
        return None
    clauses: list[ColumnElement[bool]] = []
    if person_col is not None and principal.person_id is not None:
        clauses.append(person_col == principal.person_id)
    if team_col is not None and principal.visible_team_ids:
        clauses.append(team_col.in_(sorted(principal.visible_team_ids)))
    if not clauses:
        return false()
    return or_(*clauses)


def scope(
    stmt: S,
    principal: Principal,
    *,
    team_col: ColumnElement[Any] | None = None,
    person_col: ColumnElement[Any] | None = None,
) -> S:
    """Restrict ``stmt`` to the rows ``principal`` may see.

    Rows belong to a team (``team_col``) and/or a person (``person_col``). A manager sees
    rows of any team in their subtree and their own; a rep sees rows where they are the
    person; back-office roles see all. With neither column given, a restricted principal
    sees nothing — scoping fails closed.
    """
    clause = visibility_clause(principal, team_col=team_col, person_col=person_col)
    return stmt if clause is None else stmt.where(clause)


# --- passwords and tokens -----------------------------------------------------------------
# OWASP's minimum argon2id profile (19 MiB, t=2): a login costs ~20 ms, a guess as much.
_hasher = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise ValueError("password must have at least 8 characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _serializer(secret: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="chanli-api-token")


def issue_token(secret: str, user_id: int, token_version: int) -> str:
    """A signed bearer token; bumping the user's ``token_version`` revokes all of them."""
    return _serializer(secret).dumps({"uid": user_id, "tv": token_version})


def read_token(secret: str, token: str, max_age_s: int) -> tuple[int, int]:
    try:
        data = _serializer(secret).loads(token, max_age=max_age_s)
    except SignatureExpired:
        raise NotAuthenticated("token expired; log in again") from None
    except BadSignature:
        raise NotAuthenticated("invalid token") from None
    return int(data["uid"]), int(data["tv"])
