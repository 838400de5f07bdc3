"""Users, their role grants and sign-in sessions: row ↔ domain mapping for the auth service.

A session that was found live is remembered by this process for ``SESSION_CACHE_S``: each
API request names its token, and looking it up costs a transaction of its own. Ending a
session here forgets every remembered one when the ending commits; an ending committed by
another process (``jxc user token revoke``) takes effect here within ``SESSION_CACHE_S``.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from jxc.db import schema as s
from jxc.db.repositories.catalog import CatalogRepository
from jxc.domain.auth import Grant, Principal, Role


@dataclass(frozen=True)
class UserRecord:
    id: int
    username: str
    display_name: str
    password_hash: str
    active: bool
    failed_logins: int
    last_failed_at: datetime | None


TOKEN_ID_LENGTH = 12  # hex digits of the token's hash that name it in lists


@dataclass(frozen=True)
class TokenRecord:
    id: str
    name: str
    username: str
    issued_by: str | None
    created_at: datetime
    expires_at: datetime
    ended_at: datetime | None


SESSION_CACHE_S = 1.0

_user = s.AppUser
_grant = s.UserGrant
_session = s.AuthSession


_principal = (
    select(_user.active, _grant.role, s.Warehouse.code)
    .outerjoin(_grant, _grant.user_id == _user.id)
    .outerjoin(s.Warehouse, s.Warehouse.id == _grant.warehouse_id)
    .where(_user.username == bindparam("username"))
)

_live_session = (
    select(_user.username, _session.expires_at)
    .join(_session, _session.user_id == _user.id)
    .where(
        _session.token_hash == bindparam("hash"),
        _session.ended_at.is_(None),
        _session.expires_at > bindparam("now"),
        _user.active.is_(True),
    )
)


class SessionCache:
    """Live sessions as last read by this process: token hash → (user, expiry, when read)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, tuple[str, datetime, float]] = {}
        # Moves at every forget: a lookup that began before it is not remembered, since it
        # may have read a session that an ending committed since has ended.
        self._generation = 0

    def generation(self) -> int:
        return self._generation

    def get(self, token_hash: str, now: datetime) -> str | None:
        found = self._sessions.get(token_hash)
        if found is None:
            return None
        username, expires_at, read_at = found
        if expires_at <= now or time.monotonic() - read_at > SESSION_CACHE_S:
            return None
        return username

    def remember(
        self, token_hash: str, username: str, expires_at: datetime, generation: int
    ) -> None:
        with self._lock:
            if generation == self._generation:
                self._sessions[token_hash] = (username, expires_at, time.monotonic())

    def forget(self) -> None:
        with self._lock:
            self._generation += 1
            self._sessions = {}


class UserRepository:
    """Users and grants are master data, cached with the catalog.

    Every change that alters who may act (a user added, enabled or disabled, a grant given
    or taken) moves the catalog version, so every process sees it in its next transaction.
    """

    def __init__(self, connection: Connection, catalog: CatalogRepository) -> None:
        self.connection = connection
        self._catalog = catalog
        self.ended_sessions = False  # the unit of work forgets remembered ones on commit

    def principal(self, username: str) -> Principal | None:
        """The active user ``username`` with their grants; None if no such active user."""
        known = self._catalog.view().principals
        if username not in known:
            rows = self.connection.execute(_principal, {"username": username}).all()
            known[username] = (
                Principal(
                    username,
                    tuple(
                        sorted(
                            Grant(Role(role), code) for _, role, code in rows if role is not None
                        )
                    ),
                )
                if rows and rows[0].active
                else None
            )
        return known[username]

    def count(self) -> int:
        return int(self.connection.execute(select(func.count()).select_from(_user)).scalar_one())

    def name_like(self, username: str) -> str | None:
        """A user name that differs from ``username`` in letter case only, if one exists."""
        found: str | None = self.connection.execute(
            select(_user.username).where(func.lower(_user.username) == username.lower()).limit(1)
        ).scalar()
        return found

    def find(self, username: str, for_update: bool = False) -> UserRecord | None:
        query = select(
            _user.id,
            _user.username,
            _user.display_name,
            _user.password_hash,
            _user.active,
            _user.failed_logins,
            _user.last_failed_at,
        ).where(_user.username == username)
        row = self.connection.execute(query.with_for_update() if for_update else query).first()
        return UserRecord(*row) if row else None

    def stranger_failures(self, username: str) -> tuple[int, datetime] | None:
        """Failures in a row under a name no user has, and when the last one was."""
        row = self.connection.execute(
            select(s.FailedSignIn.failures, s.FailedSignIn.last_failed_at)
            .where(s.FailedSignIn.username == username)
            .with_for_update()
        ).first()
        return (int(row.failures), row.last_failed_at) if row else None

    def count_stranger_failure(
        self, username: str, failures: int, at: datetime, forget_before: datetime
    ) -> None:
        """One more failure under ``username``; names quiet since ``forget_before`` go."""
        self.connection.execute(
            delete(s.FailedSignIn).where(
                (s.FailedSignIn.last_failed_at < forget_before)
                | (s.FailedSignIn.username == username)
            )
        )
        self.connection.execute(
            insert(s.FailedSignIn).values(username=username, failures=failures, last_failed_at=at)
        )

    def add(self, values: dict[str, Any]) -> int:
        self._catalog.changed()
        inserted = self.connection.execute(insert(_user).values(**values)).inserted_primary_key
        assert inserted is not None
        return int(inserted[0])

    def update(self, user_id: int, **values: Any) -> None:
        if "active" in values:
            self._catalog.changed()
        self.connection.execute(update(_user).where(_user.id == user_id).values(**values))

    def grants(self, user_id: int) -> list[Grant]:
        rows = self.connection.execute(
            select(_grant.role, s.Warehouse.code)
            .outerjoin(s.Warehouse, s.Warehouse.id == _grant.warehouse_id)
            .where(_grant.user_id == user_id)
        ).all()
        return sorted(Grant(Role(role), code) for role, code in rows)

    def add_grant(self, user_id: int, role: Role, warehouse_id: int | None) -> None:
        self._catalog.changed()
        self.connection.execute(
            insert(_grant).values(user_id=user_id, role=role.value, warehouse_id=warehouse_id)
        )

    def remove_grant(self, user_id: int, role: Role, warehouse_id: int | None) -> int:
        self._catalog.changed()
        where_warehouse = (
            _grant.warehouse_id.is_(None)
            if warehouse_id is None
            else _grant.warehouse_id == warehouse_id
        )
        result = self.connection.execute(
            delete(_grant).where(
                _grant.user_id == user_id, _grant.role == role.value, where_warehouse
            )
        )
        return int(result.rowcount)

    def active_admins(self) -> int:
        """Active users who are admins of every warehouse."""
        return int(
            self.connection.execute(
                select(func.count(func.distinct(_user.id)))
                .join(_grant, _grant.user_id == _user.id)
                .where(
                    _user.active.is_(True),
                    _grant.role == Role.ADMIN.value,
                    _grant.warehouse_id.is_(None),
                )
            ).scalar_one()
        )

    # sessions ---------------------------------------------------------------------------
    def add_session(
        self,
        token_hash: str,
        user_id: int,
        created_at: datetime,
        expires_at: datetime,
        name: str | None = None,
        issued_by: str | None = None,
    ) -> None:
        self.connection.execute(
            insert(_session).values(
                token_hash=token_hash,
                user_id=user_id,
                created_at=created_at,
                expires_at=expires_at,
                name=name,
                issued_by=issued_by,
            )
        )

    def tokens(self) -> list[TokenRecord]:
        """Every API token ever issued, newest first."""
        rows = self.connection.execute(
            select(
                _session.token_hash,
                _session.name,
                _user.username,
                _session.issued_by,
                _session.created_at,
                _session.expires_at,
                _session.ended_at,
            )
            .join(_user, _user.id == _session.user_id)
            .where(_session.name.is_not(None))
            .order_by(_session.created_at.desc())
        )
        return [
            TokenRecord(
                id=row.token_hash[:TOKEN_ID_LENGTH],
                name=str(row.name),
                username=row.username,
                issued_by=row.issued_by,
                created_at=row.created_at,
                expires_at=row.expires_at,
                ended_at=row.ended_at,
            )
            for row in rows
        ]

    def token_hash(self, token_id: str) -> str | None:
        """The full hash of the live API token whose id (hash prefix) is ``token_id``."""
        found = self.connection.execute(
            select(_session.token_hash).where(
                _session.name.is_not(None),
                _session.ended_at.is_(None),
                _session.token_hash.startswith(token_id, autoescape=True),
            )
        ).all()
        return found[0].token_hash if len(found) == 1 else None

    def session_username(self, token_hash: str, now: datetime) -> str | None:
        """The user of a session that has neither ended nor expired, if they are active."""
        found = self.live_session(token_hash, now)
        return found[0] if found else None

    def live_session(self, token_hash: str, now: datetime) -> tuple[str, datetime] | None:
        """(user, expiry) of a session that has neither ended nor expired, if they are active."""
        row = self.connection.execute(_live_session, {"hash": token_hash, "now": now}).first()
        return (row.username, row.expires_at) if row else None

    def end_session(self, token_hash: str, at: datetime) -> int:
        self.ended_sessions = True
        result = self.connection.execute(
            update(_session)
            .where(_session.token_hash == token_hash, _session.ended_at.is_(None))
            .values(ended_at=at)
        )
        return int(result.rowcount)

    def end_sessions_of(self, user_id: int, at: datetime, tokens_too: bool) -> None:
        """End a user's sign-ins, and their API tokens if ``tokens_too``."""
        self.ended_sessions = True
        query = update(_session).where(_session.user_id == user_id, _session.ended_at.is_(None))
        if not tokens_too:
            query = query.where(_session.name.is_(None))
        self.connection.execute(query.values(ended_at=at))
