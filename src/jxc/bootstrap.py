"""Composition root: settings → engine → unit of work and read connections.

The only module that knows every layer; entrypoints and tests build what they need
here, and nothing is created at import time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sqlalchemy import Connection, Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

if TYPE_CHECKING:
    from alembic.config import Config

from jxc.config import Settings, machine_zone
from jxc.db.engine import (
    WouldWait,
    has_idle_connection,
    make_engine,
    normalize_url,
    sqlite_writer_turn,
    without_waiting,
)
from jxc.db.repositories.catalog import CatalogCache
from jxc.db.repositories.users import SessionCache
from jxc.db.uow import UnitOfWork, connect, read_connection, utc_now
from jxc.domain.errors import Invalid
from jxc.domain.periods import company_day, zone_name, zone_named
from jxc.services import catalog, company, workflows

T = TypeVar("T")


# The newest migration: what this release's code reads and writes (a test holds it to
# Alembic's head, which takes Alembic to find).
SCHEMA_REVISION = "0020"


@dataclass
class App:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = utc_now
    catalog_cache: CatalogCache = field(default_factory=CatalogCache)
    session_cache: SessionCache = field(default_factory=SessionCache)
    fallback_zone: tzinfo = field(default_factory=machine_zone)  # JXC_TIMEZONE's, or the machine's
    _zone: tzinfo | None = field(default=None, repr=False)  # fixed by a test

    @property
    def zone(self) -> tzinfo:
        """The company's time zone, as its database keeps it now (a change is seen at once).

        A database that keeps none yet (before ``jxc init``) has ``fallback_zone``.
        """
        if self._zone is not None:
            return self._zone
        try:
            return self.uow().zone
        except DBAPIError:  # no JXC tables yet
            return self.fallback_zone

    @zone.setter
    def zone(self, zone: tzinfo) -> None:
        self._zone = zone

    def timezone_ignored(self) -> tuple[str, str] | None:
        """``JXC_TIMEZONE`` and the company's zone, which is used, if the two differ."""
        given = self.settings.timezone
        if not given:
            return None
        kept = zone_name(self.zone)
        return (given, kept) if zone_name(company_zone(given)) != kept else None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(
            self.engine,
            self.clock,
            self.catalog_cache,
            self.session_cache,
            self._zone,
            self.fallback_zone,
        )

    def today(self) -> date:
        """The company's business day now (reports' and the dashboard's "today")."""
        return company_day(self.clock(), self.zone)

    @contextmanager
    def reader(self) -> Iterator[Connection]:
        with read_connection(self.engine) as connection:
            yield connection

    def write_at_once(self, work: Callable[[], T]) -> tuple[bool, T | None]:
        """Run a short write on the calling thread if nothing would make it wait.

        ``(True, result)`` when it ran: on SQLite, with the database's write turn free in
        every process, a pooled connection idle and SQLite's own lock free (a program
        outside JXC may hold it). ``(False, None)`` when any of these would have made it
        wait: it wrote nothing, run it where waiting is harmless. Always ``(False, None)``
        on PostgreSQL, whose writes wait on the network. Errors of the work propagate.
        """
        turn = sqlite_writer_turn(self.engine)
        if turn is None or not has_idle_connection(self.engine):
            return False, None
        if not turn.acquire(blocking=False):
            return False, None
        try:
            if not turn.guards_processes:  # another process may be writing unseen
                return False, None
            with without_waiting():
                return True, work()
        except WouldWait:
            return False, None
        finally:
            turn.release()

    def dispose(self) -> None:
        self.engine.dispose()


def build(settings: Settings | None = None, **engine_options: object) -> App:
    settings = settings or Settings()
    url = normalize_url(settings.database_url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise Invalid("database.url_invalid", {"url": settings.database_url}) from None
    if parsed.drivername not in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        # SQLAlchemy would look for a driver JXC does not ship (MySQLdb …) and fail deep down
        raise Invalid("database.engine_unsupported", {"engine": parsed.drivername})
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    fallback = company_zone(settings.timezone)  # a wrong JXC_TIMEZONE is told at once
    return App(settings, make_engine(url, **engine_options), fallback_zone=fallback)


def company_zone(name: str | None) -> tzinfo:
    """The time zone ``JXC_TIMEZONE`` names, or the machine's own.

    Raises:
        Invalid: settings.timezone_unknown (not an IANA name such as Asia/Shanghai).
    """
    if not name:
        return machine_zone()
    try:
        return zone_named(name)
    except ValueError:
        raise Invalid("settings.timezone_unknown", {"zone": name}) from None


def alembic_config() -> Config:
    from alembic.config import Config  # only set-up needs Alembic: every command starts faster

    config = Config()
    config.set_main_option("script_location", str(resources.files("jxc.db") / "migrations"))
    return config


def upgrade(app: App, revision: str = "head") -> str | None:
    """Bring the database schema to ``revision`` and make sure the base data exists.

    Returns the company's time zone if it was kept now, for the first time.
    """
    from alembic import command

    config = alembic_config()
    with connect(app.engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        connection.commit()
    return base_data(app) if revision == "head" else None


def base_data(app: App) -> str | None:
    """Make sure what every company has exists.

    Base units and virtual locations, a workflow per document type, and a time zone: this
    process's, the first time (its name is returned then).
    """
    catalog.initialize(app.uow())
    workflows.install_defaults(app.uow())
    return company.keep_zone(app.uow(), app.fallback_zone)


def current_revision(app: App) -> str | None:
    """The schema revision the database is at; None if it has no JXC tables yet.

    Read by every command: plain SQL, so that Alembic is imported only to upgrade.
    """
    with connect(app.engine) as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        found: str | None = connection.execute(
            text("SELECT version_num FROM alembic_version")
        ).scalar()
        return found


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _server_admin(url: URL, statement: str) -> None:
    """Run one statement on the server's ``postgres`` database, outside a transaction."""
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with connect(admin) as connection:
            connection.execute(text(statement))
    finally:
        admin.dispose()


def create_database(url: str, suffix: str = "") -> str:
    """Create an empty PostgreSQL database named as in ``url`` plus ``suffix``; return its URL.

    Raises:
        Unavailable: database.unreachable (the server cannot be reached).
    """
    parsed = make_url(normalize_url(url))
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    target = parsed.set(database=f"{parsed.database or 'jxc'}{suffix}")
    quoted = target.database.replace('"', '""') if target.database else ""
    _server_admin(target, f'CREATE DATABASE "{quoted}"')
    return target.render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    """Drop the PostgreSQL database ``url`` names, closing its other sessions first."""
    parsed = make_url(normalize_url(url))
    quoted = (parsed.database or "").replace('"', '""')
    _server_admin(parsed, f'DROP DATABASE IF EXISTS "{quoted}" WITH (FORCE)')
