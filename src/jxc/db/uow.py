"""Unit of work: one transaction per service call, rolled back unless committed.

``run`` retries the whole service call when the engine says another transaction got in
the way (SQLite busy, PostgreSQL serialization failure or deadlock, a unique key
inserted concurrently); the retry re-reads everything, so domain rules are re-checked.
A write that must not wait (``without_waiting``) is not retried: it raises ``WouldWait``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, date, datetime, tzinfo
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError

from jxc.db.engine import (
    BUSY_TIMEOUT_MS,
    READ_ONLY,
    WouldWait,
    WriterTurnTimeout,
    waiting_allowed,
    writer_turn,
)
from jxc.db.repositories.alerts import EpisodeRepository, RefusalRepository
from jxc.db.repositories.audit import AuditRepository
from jxc.db.repositories.balances import BalanceRepository
from jxc.db.repositories.catalog import CatalogCache, CatalogRepository
from jxc.db.repositories.company import CompanyRepository
from jxc.db.repositories.documents import DocumentRepository
from jxc.db.repositories.ledger import LedgerRepository
from jxc.db.repositories.orders import OrderRepository
from jxc.db.repositories.partners import PartnerRepository
from jxc.db.repositories.periods import PeriodRepository
from jxc.db.repositories.replenishment import LevelRepository
from jxc.db.repositories.requests import RequestRepository
from jxc.db.repositories.stocktakes import StocktakeRepository
from jxc.db.repositories.users import SessionCache, UserRepository
from jxc.db.repositories.workflows import OutboxRepository, WorkflowRepository
from jxc.domain.audit import AuditEntry
from jxc.domain.errors import Conflict, Invalid, Unavailable
from jxc.domain.periods import company_day
from jxc.domain.stock import Refusal

T = TypeVar("T")
MAX_ATTEMPTS = 8
_RETRYABLE_SQLSTATES = {"40001", "40P01", "55P03"}  # serialization, deadlock, lock not available


def utc_now() -> datetime:
    return datetime.now(UTC)


def is_retryable(error: DBAPIError) -> bool:
    if isinstance(error, IntegrityError):
        return True
    sqlstate = getattr(error.orig, "sqlstate", None)
    if sqlstate in _RETRYABLE_SQLSTATES:
        return True
    return isinstance(error, OperationalError) and "locked" in str(error.orig).lower()


def connect(engine: Engine, read_only: bool = False) -> Connection:
    try:
        connection = engine.connect()
    except DBAPIError as error:
        raise Unavailable(
            "database.unreachable",
            {"url": engine.url.render_as_string(hide_password=True), "reason": str(error.orig)},
        ) from None
    return connection.execution_options(**{READ_ONLY: True}) if read_only else connection


@contextmanager
def read_connection(engine: Engine) -> Iterator[Connection]:
    """A connection for queries: it never writes, and on SQLite never blocks a writer."""
    with connect(engine, read_only=True) as connection:
        yield connection


class UnitOfWork:
    def __init__(
        self,
        engine: Engine,
        clock: Callable[[], datetime] = utc_now,
        catalog_cache: CatalogCache | None = None,
        session_cache: SessionCache | None = None,
        zone: tzinfo | None = None,
        fallback_zone: tzinfo = UTC,
    ) -> None:
        self.engine = engine
        self.clock = clock
        self._zone = zone  # given: the company's time zone for this unit of work, fixed
        self._fallback_zone = fallback_zone  # before the database keeps one
        self.catalog_cache = catalog_cache or CatalogCache()
        self.session_cache = session_cache or SessionCache()
        self._connection: Connection | None = None
        self._recorded: list[AuditEntry] = []
        self._read_only = False
        # What the last attempt was refused and under which request id: kept past its
        # rollback, for the service layer to record in a transaction of its own.
        self.refused: list[Refusal] = []
        self.request_id: str | None = None

    @property
    def zone(self) -> tzinfo:
        """The company's time zone, as the database keeps it now."""
        if self._zone is not None:
            return self._zone
        if self._connection is None:
            return self.run(lambda: self.zone, read_only=True)
        return self.company.zone(self._fallback_zone)

    def today(self) -> date:
        """The company's business day now."""
        return company_day(self.clock(), self.zone)

    @property
    def connection(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("the unit of work is not entered")
        return self._connection

    def __enter__(self) -> UnitOfWork:
        connection = connect(self.engine, read_only=self._read_only)
        connection.begin()
        self._connection = connection
        self.catalog = CatalogRepository(connection, self.catalog_cache)
        self.documents = DocumentRepository(connection)
        self.ledger = LedgerRepository(connection)
        self.balances = BalanceRepository(connection, self.catalog)
        self.requests = RequestRepository(connection)
        self.audit = AuditRepository(connection)
        self.users = UserRepository(connection, self.catalog)
        self.periods = PeriodRepository(connection, self.catalog)
        self.workflows = WorkflowRepository(connection, self.catalog)
        self.outbox = OutboxRepository(connection)
        self.partners = PartnerRepository(connection)
        self.orders = OrderRepository(connection)
        self.stocktakes = StocktakeRepository(connection)
        self.levels = LevelRepository(connection)
        self.refusals = RefusalRepository(connection)
        self.company = CompanyRepository(connection, self.catalog)
        self.episodes = EpisodeRepository(connection)
        self._recorded = []
        self.refused, self.request_id = [], None
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection, self._connection = self.connection, None
        try:
            if connection.in_transaction():
                connection.rollback()
        finally:
            connection.close()

    def record(self, *entries: AuditEntry) -> None:
        """Put ``entries`` on the audit trail when this unit of work commits."""
        self._recorded.extend(entries)

    def commit(self) -> None:
        # Sealed last: the chain's head stays locked only from here to the commit.
        if self._recorded:
            events = self.audit.append(self._recorded, self.clock())
            self._recorded = []
            # Numbered under the chain's lock: the change feed is in commit order.
            self.balances.record_changes(events[-1].sequence)
        self.connection.commit()
        if self.users.ended_sessions:
            self.session_cache.forget()

    def run(self, work: Callable[[], T], read_only: bool = False) -> T:
        """Run ``work`` inside this unit of work, retrying it on a concurrency conflict.

        ``read_only`` work never takes SQLite's write lock, so it never holds up a posting.
        """
        self._read_only = read_only
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                with nullcontext() if read_only else writer_turn(self.engine), self:
                    return work()
            except WriterTurnTimeout:
                raise Conflict("database.busy", {"seconds": BUSY_TIMEOUT_MS // 1000}) from None
            except StatementError as error:
                if isinstance(error.orig, OverflowError):
                    raise Invalid("number.out_of_range", {}) from None
                if isinstance(error, DataError) and "NUL" in str(error.orig):
                    # PostgreSQL stores no NUL character in text (SQLite would).
                    raise Invalid("text.nul_character", {}) from None
                if not isinstance(error, DBAPIError) or not is_retryable(error):
                    raise
                if not waiting_allowed():
                    raise WouldWait from error
                if attempt == MAX_ATTEMPTS:
                    raise Conflict(
                        "concurrency.retry_exhausted", {"attempts": MAX_ATTEMPTS}
                    ) from error
                time.sleep(random.uniform(0, 0.005 * 2**attempt))
        raise AssertionError("unreachable")
