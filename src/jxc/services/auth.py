"""Users, roles and sign-in: who is acting, and whether they may.

Passwords are hashed with argon2 and checked in constant time whether or not the user
exists; a wrong user name and a wrong password get the same answer (auth.failed). Five
failures in a row lock the account for 15 minutes. Every write service calls ``require``
with its acting user before it changes anything; every user and grant change, sign-in
and failed sign-in goes on the audit trail.
"""

from __future__ import annotations

import functools
import hashlib
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field

from jxc.db.repositories.users import TOKEN_ID_LENGTH, TokenRecord, UserRecord
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import ANONYMOUS, MAX_SUBJECT, RESERVED_ACTORS, SYSTEM_ACTOR, AuditEntry
from jxc.domain.auth import (
    ANY_DOCUMENT,
    FORGET_STRANGERS,
    MAX_USERNAME,
    SESSION_DURATION,
    Action,
    Grant,
    Principal,
    Role,
    authorize,
    check_password,
    locked_until,
)
from jxc.domain.errors import Conflict, Invalid, NotFound, Unauthenticated
from jxc.domain.periods import shown_time
from jxc.services.base import parse, reading, remember, replay, transactional

_hasher = PasswordHasher()
# Each argon2 hash or check holds 64 MiB for its duration: a burst of sign-ins to a web
# server would hold that many times over. They take turns, one per core.
_hashing_turn = threading.BoundedSemaphore(os.cpu_count() or 1)


class GrantIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    role: Role
    warehouse: str | None = None


class UserIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    username: str = Field(min_length=1, max_length=MAX_USERNAME, pattern=r"^\S(.*\S)?$")
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(max_length=200)
    grants: list[GrantIn] = Field(default_factory=list)


@dataclass(frozen=True)
class Session:
    token: str
    username: str
    expires_at: datetime


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal(uow: UnitOfWork, username: str) -> Principal:
    """The acting user with their grants.

    Raises:
        Unauthenticated: auth.unknown_user (no such active user).
    """
    found = uow.users.principal(username)
    if found is None:
        raise Unauthenticated("auth.unknown_user", {"user": username})
    return found


@reading
def reader(uow: UnitOfWork, actor: str) -> Principal:
    """The acting user, for an entrypoint about to read: who they are and what they see.

    Raises:
        Unauthenticated: auth.unknown_user.
    """
    return principal(uow, actor)


def require(
    uow: UnitOfWork,
    actor: str,
    action: Action,
    document_type: str = ANY_DOCUMENT,
    warehouses: Iterable[str | None] = (None,),
) -> None:
    """Refuse unless ``actor`` may take ``action`` (on ``document_type``) in ``warehouses``.

    Raises:
        Unauthenticated: auth.unknown_user.
        Forbidden: auth.forbidden.
    """
    authorize(principal(uow, actor), action, document_type, warehouses)


@reading
def allow(uow: UnitOfWork, actor: str, action: Action) -> None:
    """For entrypoints about to read something not everyone may see.

    Raises:
        Unauthenticated: auth.unknown_user.
        Forbidden: auth.forbidden.
    """
    require(uow, actor, action)


def _warehouse_ids(uow: UnitOfWork, grants: Iterable[GrantIn]) -> dict[str, int]:
    codes = {g.warehouse for g in grants if g.warehouse is not None}
    found = uow.catalog.warehouses_by_code(codes)
    missing = sorted(codes - found.keys())
    if missing:
        raise NotFound("warehouse.unknown", {"warehouse": missing[0]})
    return {code: warehouse.id for code, warehouse in found.items()}


def _prepared(data: UserIn | dict[str, Any]) -> tuple[UserIn, str]:
    """A new user checked and their password hashed, before any transaction.

    argon2 is slow on purpose, and SQLite's one write lock must not wait for it.
    """
    user = parse(UserIn, data)
    if user.username.casefold() in RESERVED_ACTORS:
        raise Invalid("auth.username_reserved", {"user": user.username})
    check_password(user.username, user.password)
    return user, _hash(user.password)


def _add(uow: UnitOfWork, actor: str, user: UserIn, password_hash: str) -> None:
    # ADMIN beside admin would be two people a reader of the audit log takes for one
    taken = uow.users.name_like(user.username)
    if taken is not None:
        raise Conflict("auth.username_taken", {"user": taken})
    warehouse_ids = _warehouse_ids(uow, user.grants)
    user_id = uow.users.add(
        {
            "username": user.username,
            "display_name": user.display_name,
            "password_hash": password_hash,
            "active": True,
            "failed_logins": 0,
            "created_at": uow.clock(),
        }
    )
    for grant in sorted(set(user.grants), key=lambda g: (g.role, g.warehouse or "")):
        uow.users.add_grant(
            user_id, grant.role, warehouse_ids[grant.warehouse] if grant.warehouse else None
        )
    uow.record(
        AuditEntry(
            actor,
            "user.add",
            "user",
            user.username,
            {"display_name": user.display_name, "grants": _grants_payload(user.grants)},
        )
    )


def _grants_payload(grants: Iterable[GrantIn | Grant]) -> list[dict[str, Any]]:
    return [{"role": g.role.value, "warehouse": g.warehouse} for g in grants]


@reading
def has_users(uow: UnitOfWork) -> bool:
    return uow.users.count() > 0


def create_first_admin(
    uow: UnitOfWork, username: str, password: str, display_name: str = "管理员"
) -> None:
    """The first user of a new database, an admin of every warehouse.

    Raises:
        Conflict: auth.users_exist (only the first user is created this way).
        Invalid: auth.password_too_short, auth.password_is_username, field errors.
    """
    user, password_hash = _prepared(
        {
            "username": username,
            "display_name": display_name,
            "password": password,
            "grants": [{"role": Role.ADMIN}],
        }
    )

    def add() -> None:
        if uow.users.count() > 0:
            raise Conflict("auth.users_exist", {})
        _add(uow, user.username, user, password_hash)
        uow.commit()

    uow.run(add)


def add_setup_users(uow: UnitOfWork, people: Sequence[UserIn | dict[str, Any]]) -> list[str]:
    """Setup only (the demo company): add the users not there yet, as the system's doing.

    Returns the user names added.
    """
    prepared = [_prepared(data) for data in people]

    def add() -> list[str]:
        added = []
        for user, password_hash in prepared:
            if uow.users.find(user.username) is None:
                _add(uow, SYSTEM_ACTOR, user, password_hash)
                added.append(user.username)
        uow.commit()
        return added

    return uow.run(add)


def add_user(
    uow: UnitOfWork, actor: str, data: UserIn | dict[str, Any], request_id: str | None = None
) -> None:
    """Add a user with a password and role grants (each in one warehouse or in all).

    Raises:
        Forbidden: auth.forbidden (user.manage).
        Conflict: auth.username_taken.
        NotFound: warehouse.unknown.
        Invalid: auth.username_reserved, auth.password_too_short, auth.password_is_username,
            field errors.
    """
    user, password_hash = _prepared(data)

    # Never the password: the stored fingerprint would be an unsalted hash of it.
    payload = user.model_dump(mode="json", exclude={"password"})

    def add() -> None:
        require(uow, actor, Action.USER_MANAGE)
        if replay(uow, actor, request_id, "users.add_user", payload) is not None:
            return
        _add(uow, actor, user, password_hash)
        remember(uow, actor, request_id, "users.add_user", payload, {})
        uow.commit()

    uow.run(add)


def _user(uow: UnitOfWork, username: str, for_update: bool = False) -> UserRecord:
    user = uow.users.find(username, for_update=for_update)
    if user is None:
        raise NotFound("auth.user_unknown", {"user": username})
    return user


@transactional
def grant(
    uow: UnitOfWork,
    actor: str,
    username: str,
    role: Role,
    warehouse: str | None = None,
    request_id: str | None = None,
) -> None:
    """Give a user a role, in one warehouse or (no warehouse) in all of them.

    Raises:
        Forbidden: auth.forbidden (user.manage).
        NotFound: auth.user_unknown, warehouse.unknown.
        Conflict: auth.grant_exists.
    """

    def give(user: UserRecord, warehouse_id: int | None) -> None:
        if Grant(role, warehouse) in uow.users.grants(user.id):
            raise Conflict("auth.grant_exists", {"user": username, "role": role.value})
        uow.users.add_grant(user.id, role, warehouse_id)

    _change_grant(uow, actor, username, role, warehouse, request_id, "grant", give)


@transactional
def revoke(
    uow: UnitOfWork,
    actor: str,
    username: str,
    role: Role,
    warehouse: str | None = None,
    request_id: str | None = None,
) -> None:
    """Take a role away from a user (in that warehouse, or the grant for all warehouses).

    Raises:
        Forbidden: auth.forbidden (user.manage).
        NotFound: auth.user_unknown, warehouse.unknown, auth.grant_unknown.
        Conflict: auth.last_admin.
    """

    def take(user: UserRecord, warehouse_id: int | None) -> None:
        if not uow.users.remove_grant(user.id, role, warehouse_id):
            raise NotFound("auth.grant_unknown", {"user": username, "role": role.value})
        _keep_an_admin(uow)

    _change_grant(uow, actor, username, role, warehouse, request_id, "revoke", take)


def _change_grant(
    uow: UnitOfWork,
    actor: str,
    username: str,
    role: Role,
    warehouse: str | None,
    request_id: str | None,
    verb: str,
    change: Callable[[UserRecord, int | None], None],
) -> None:
    """What granting and revoking share: permission, exactly-once, the user, the audit."""
    require(uow, actor, Action.USER_MANAGE)
    payload = {"user": username, "role": role.value, "warehouse": warehouse}
    if replay(uow, actor, request_id, f"users.{verb}", payload) is not None:
        return
    user = _user(uow, username)
    changed = GrantIn(role=role, warehouse=warehouse)
    change(user, _warehouse_ids(uow, [changed]).get(warehouse) if warehouse else None)
    uow.record(AuditEntry(actor, f"user.{verb}", "user", username, _grants_payload([changed])[0]))
    remember(uow, actor, request_id, f"users.{verb}", payload, {})
    uow.commit()


def set_password(
    uow: UnitOfWork,
    actor: str,
    username: str,
    new_password: str,
    current: str | None = None,
    request_id: str | None = None,
) -> None:
    """Change a password: one's own with the current password, anyone's as a user manager.

    A wrong current password counts as a failed sign-in (and waits out a lock). Every
    session of that user ends, and a lock from failed sign-ins is lifted.

    Raises:
        Unauthenticated: auth.failed (the current password is wrong), auth.locked.
        Forbidden: auth.forbidden (someone else's password without user.manage).
        NotFound: auth.user_unknown (only to a user manager).
        Invalid: auth.password_too_short, auth.password_is_username.
    """
    own = actor == username and current is not None
    checked, right = _check_password(uow, username, current or "") if own else (None, False)
    check_password(username, new_password)
    new_hash = _hash(new_password)

    payload = {"user": username}  # never a password: the fingerprint would reveal it

    def change() -> None:
        if own:
            _settle(uow, username, checked, right)
        else:
            require(uow, actor, Action.USER_MANAGE)
        if replay(uow, actor, request_id, "users.set_password", payload) is not None:
            return
        user = _user(uow, username, for_update=True)
        uow.users.update(
            user.id,
            password_hash=new_hash,
            failed_logins=0,
            last_failed_at=None,
        )
        # A new password signs the user out everywhere; an integration's token stays valid.
        uow.users.end_sessions_of(user.id, uow.clock(), tokens_too=False)
        uow.record(AuditEntry(actor, "user.set_password", "user", username))
        remember(uow, actor, request_id, "users.set_password", payload, {})
        uow.commit()

    uow.run(change)


@transactional
def set_active(
    uow: UnitOfWork, actor: str, username: str, active: bool, request_id: str | None = None
) -> None:
    """Disable a user (they can no longer sign in or act) or enable them again.

    Raises:
        Forbidden: auth.forbidden (user.manage).
        NotFound: auth.user_unknown.
        Conflict: auth.disable_self (one click would sign the admin out for good; another
            admin does it), auth.last_admin.
    """
    require(uow, actor, Action.USER_MANAGE)
    payload = {"user": username, "active": active}
    if replay(uow, actor, request_id, "users.set_active", payload) is not None:
        return
    if username == actor and not active:
        raise Conflict("auth.disable_self", {"user": actor})
    user = _user(uow, username)
    uow.users.update(user.id, active=active)
    if not active:
        uow.users.end_sessions_of(user.id, uow.clock(), tokens_too=True)
        _keep_an_admin(uow)
    uow.record(AuditEntry(actor, "user.set_active", "user", username, {"active": active}))
    remember(uow, actor, request_id, "users.set_active", payload, {})
    uow.commit()


def _keep_an_admin(uow: UnitOfWork) -> None:
    """Raises Conflict auth.last_admin if no active admin of every warehouse would be left."""
    if uow.users.active_admins() == 0:
        raise Conflict("auth.last_admin", {})


@functools.cache
def _decoy_hash() -> str:
    """Verified against when the user does not exist, so both answers take as long.

    Made at the first sign-in, not at import: every `jxc` command imports this module
    and most never check a password.
    """
    return _hash(secrets.token_urlsafe(16))


def _hash(password: str) -> str:
    with _hashing_turn:
        return _hasher.hash(password)


def _verifies(password_hash: str, password: str) -> bool:
    try:
        with _hashing_turn:
            return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


def _check_password(uow: UnitOfWork, username: str, password: str) -> tuple[str | None, bool]:
    """The stored hash (None: no such user) and whether ``password`` matches it.

    The hash is read without the write lock and the slow argon2 check runs outside any
    transaction, so guessing passwords never holds up a posting.
    """

    def stored() -> str | None:
        user = uow.users.find(username)
        return user.password_hash if user else None

    found = uow.run(stored, read_only=True)
    return found, _verifies(found or _decoy_hash(), password)


def _settle(uow: UnitOfWork, username: str, checked: str | None, right: bool) -> UserRecord:
    """In a write transaction: the user, if the password checked still stands.

    Otherwise the failure is counted, recorded (as ANONYMOUS: a typed name proves nothing)
    and committed, then raised. An account with too many failures in a row waits out its
    lock first.
    """
    user = uow.users.find(username, for_update=True)
    now = uow.clock()
    # A name no user has is counted and locked the same way: the answers never tell.
    name = username[:MAX_SUBJECT]
    failures, last_failed_at = (
        (user.failed_logins, user.last_failed_at)
        if user is not None
        else uow.users.stranger_failures(username[:MAX_USERNAME]) or (0, None)
    )
    if last_failed_at is not None:
        until = locked_until(failures, last_failed_at)
        if until is not None and now < until:
            uow.record(AuditEntry(ANONYMOUS, "user.login_locked", "user", name))
            uow.commit()
            shown = shown_time(until, uow.zone)
            raise Unauthenticated("auth.locked", {"user": username, "until": shown})
        if until is not None:
            failures = 0  # the lock has run out: counting starts afresh
    if user is None or not right or not user.active or user.password_hash != checked:
        if user is not None:
            uow.users.update(user.id, failed_logins=failures + 1, last_failed_at=now)
        else:
            uow.users.count_stranger_failure(
                username[:MAX_USERNAME], failures + 1, now, now - FORGET_STRANGERS
            )
        uow.record(AuditEntry(ANONYMOUS, "user.login_failed", "user", name))
        uow.commit()
        raise Unauthenticated("auth.failed", {})
    if user.failed_logins:
        uow.users.update(user.id, failed_logins=0, last_failed_at=None)
    return user


def authenticate(uow: UnitOfWork, username: str, password: str) -> str:
    """Check a user name and password (scripts acting with ``--user``); the user name.

    Raises:
        Unauthenticated: auth.failed, auth.locked.
    """
    checked, right = _check_password(uow, username, password)

    def settle() -> str:
        user = _settle(uow, username, checked, right)
        uow.commit()
        return user.username

    return uow.run(settle)


def login(uow: UnitOfWork, username: str, password: str) -> Session:
    """Sign in: a new session token, valid for 7 days unless logged out.

    Raises:
        Unauthenticated: auth.failed (no hint which part was wrong), auth.locked.
    """
    checked, right = _check_password(uow, username, password)

    def start() -> Session:
        user = _settle(uow, username, checked, right)
        now = uow.clock()
        token = secrets.token_urlsafe(32)
        expires_at = now + SESSION_DURATION
        uow.users.add_session(_token_hash(token), user.id, now, expires_at)
        uow.record(AuditEntry(user.username, "user.login", "user", user.username))
        uow.commit()
        return Session(token, user.username, expires_at)

    return uow.run(start)


class TokenIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    user: str = Field(min_length=1, max_length=MAX_USERNAME)
    name: str = Field(min_length=1, max_length=100, pattern=r"^\S(.*\S)?$")
    days: int = Field(default=365, ge=1, le=3650)


@dataclass(frozen=True)
class IssuedToken:
    token: str  # shown once: only its hash is kept
    id: str
    username: str
    name: str
    expires_at: datetime


@transactional
def issue_token(uow: UnitOfWork, actor: str, data: TokenIn | dict[str, Any]) -> IssuedToken:
    """Issue an API token for an integration to act as a user (an admin's decision).

    It works as the user's sign-in does, for ``days`` unless revoked or the user is
    disabled; a new password of the user leaves it valid. It takes no request id: a
    replay would have to keep the token itself.

    Raises:
        Forbidden: auth.forbidden (not a user manager).
        NotFound: auth.user_unknown.
        Invalid: a missing or malformed field.
    """
    given = parse(TokenIn, data)
    require(uow, actor, Action.USER_MANAGE)
    user = _user(uow, given.user)
    now = uow.clock()
    token = secrets.token_urlsafe(32)
    token_hash = _token_hash(token)
    expires_at = now + timedelta(days=given.days)
    uow.users.add_session(token_hash, user.id, now, expires_at, given.name, actor)
    token_id = token_hash[:TOKEN_ID_LENGTH]
    uow.record(
        AuditEntry(
            actor,
            "user.token_issue",
            "user",
            user.username,
            {"token": token_id, "name": given.name, "expires_at": expires_at.isoformat()},
        )
    )
    uow.commit()
    return IssuedToken(token, token_id, user.username, given.name, expires_at)


@reading
def tokens(uow: UnitOfWork, actor: str) -> list[TokenRecord]:
    """Every API token issued, newest first (for user managers and auditors).

    Raises:
        Forbidden: auth.forbidden.
    """
    who = principal(uow, actor)
    if not (who.may(Action.USER_MANAGE) or who.may(Action.AUDIT_READ)):
        authorize(who, Action.USER_MANAGE)
    return uow.users.tokens()


@transactional
def revoke_token(uow: UnitOfWork, actor: str, token_id: str) -> None:
    """End an API token at once, named by its id from ``tokens``.

    Raises:
        Forbidden: auth.forbidden.
        NotFound: auth.token_unknown (no live token, or more than one, has that id).
    """
    require(uow, actor, Action.USER_MANAGE)
    wanted = token_id.strip().lower()
    token_hash = uow.users.token_hash(wanted) if len(wanted) >= 6 else None
    if token_hash is None:
        raise NotFound("auth.token_unknown", {"token": token_id})
    uow.users.end_session(token_hash, uow.clock())
    uow.record(AuditEntry(actor, "user.token_revoke", "token", token_hash[:TOKEN_ID_LENGTH], {}))
    uow.commit()


def session_user(uow: UnitOfWork, token: str) -> str:
    """Who a session token belongs to (a session this process found live a moment ago, or read).

    Raises:
        Unauthenticated: auth.session_ended (logged out, expired or the user disabled).
    """
    token_hash = _token_hash(token)
    username = uow.session_cache.get(token_hash, uow.clock()) or _live_session(uow, token_hash)
    if username is None:
        raise Unauthenticated("auth.session_ended", {})
    return username


@reading
def _live_session(uow: UnitOfWork, token_hash: str) -> str | None:
    generation = uow.session_cache.generation()
    found = uow.users.live_session(token_hash, uow.clock())
    if found is None:
        return None
    username, expires_at = found
    uow.session_cache.remember(token_hash, username, expires_at, generation)
    return username


@transactional
def logout(uow: UnitOfWork, token: str) -> None:
    username = uow.users.session_username(_token_hash(token), uow.clock())
    if uow.users.end_session(_token_hash(token), uow.clock()) and username is not None:
        uow.record(AuditEntry(username, "user.logout", "user", username))
    uow.commit()
