"""Engines for SQLite (embedded default) and PostgreSQL (production).

SQLite runs in WAL mode with foreign keys and a busy timeout, and every write
transaction starts with ``BEGIN IMMEDIATE``: one writer at a time, taken up front, so
two posts can never both read a balance and both spend it. Read-only connections
(``READ_ONLY`` execution option) begin deferred and never block writers. Writers queue
for their turn on a lock of their own first (``WriterTurn``), so the one that waits is
handed SQLite's lock instead of polling for it; a write that must not wait at all
(``without_waiting``) tries SQLite's lock once and raises ``WouldWait`` if it is taken.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import QueuePool

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

_log = logging.getLogger(__name__)

READ_ONLY = "jxc_read_only"
BUSY_TIMEOUT_MS = 30_000


def normalize_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use psycopg 3 for them."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str, **options: Any) -> Engine:
    url = normalize_url(url)
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, **options)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, **options)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so "begin" below decides the mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # WAL + NORMAL: commits survive an application crash; only an OS crash or power
        # loss may lose the last transactions, never corrupt the file.
        cursor.execute("PRAGMA synchronous=NORMAL")
        # Checkpoint every ~40 MB of WAL instead of every 4 MB: the balance, cost and
        # ledger-tail pages every posting rewrites are copied back to the database once
        # per checkpoint, so fewer checkpoints copy far fewer pages (jxc bench: +15%
        # lines/s on a 200,000-row ledger).
        cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        if not read_only:
            _wait_for_sqlite(connection.connection, 0 if _not_waiting.get() else BUSY_TIMEOUT_MS)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def _wait_for_sqlite(pooled: Any, milliseconds: int) -> None:
    """Set how long SQLite waits for another writer's lock, when it is not that already."""
    if pooled.info.get("busy_timeout_ms", BUSY_TIMEOUT_MS) != milliseconds:
        pooled.driver_connection.execute(f"PRAGMA busy_timeout={milliseconds}")
        pooled.info["busy_timeout_ms"] = milliseconds


# Set while a write runs where it must not wait (the web server's event loop).
_not_waiting: ContextVar[bool] = ContextVar("jxc_not_waiting", default=False)


class WouldWait(Exception):  # noqa: N818 - not an error: the write goes where it may wait
    """A write that must not wait found the database busy; it wrote nothing."""


class WriterTurnTimeout(Exception):
    """Another process held the database's write turn for the whole busy timeout."""


@contextmanager
def without_waiting() -> Iterator[None]:
    """Writes in this block fail with ``WouldWait`` instead of waiting for SQLite's lock."""
    token = _not_waiting.set(True)
    try:
        yield
    finally:
        _not_waiting.reset(token)


def waiting_allowed() -> bool:
    return not _not_waiting.get()


class WriterTurn:
    """One writer at a time on a SQLite database, among threads and among processes.

    Threads queue on a lock; processes on an exclusive ``flock`` of a file beside the
    database. SQLite lets one writer in; the others poll with sleeps that grow to 100 ms,
    which costs a web server's threads and the processes of a race more than the writes
    do. A thread waits on the lock and is handed the turn the moment it is released; the
    one thread of a process that waits for the file polls it every few milliseconds, for
    at most the busy timeout. Re-entrant within a thread. Where the file cannot be locked
    (no ``fcntl`` on Windows, an in-memory database, a lock file this user cannot open)
    processes still take turns through SQLite's own lock and ``busy_timeout``.
    """

    def __init__(self, lock_path: str | None, wait_s: float = BUSY_TIMEOUT_MS / 1000) -> None:
        self._threads = threading.RLock()
        self._lock_path = lock_path if fcntl is not None else None
        self._wait_s = wait_s
        self._file: int | None = None
        self._opened_by = 0  # a forked child shares its parent's lock: it opens its own
        self._depth = 0  # changed only by the thread holding ``_threads``
        self._holder: int | None = None  # that thread, while it holds the turn

    @property
    def guards_processes(self) -> bool:
        """Whether other processes' writers take this turn too (the lock file works)."""
        return self._lock_path is not None

    def acquire(self, blocking: bool = True) -> bool:
        """Take the turn; without ``blocking``, only if no other writer holds it now.

        Raises:
            WriterTurnTimeout: another process held it for the whole busy timeout.
        """
        if not self._threads.acquire(blocking):
            return False
        try:
            if self._depth == 0 and not self._lock_file(blocking):
                self._threads.release()
                return False
        except BaseException:
            self._threads.release()
            raise
        self._depth += 1
        self._holder = threading.get_ident()
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._holder = None
        try:
            if self._depth == 0 and self._file is not None and self._lock_path is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
        finally:
            self._threads.release()

    def _lock_file(self, blocking: bool) -> bool:
        if self._lock_path is None:
            return True
        if self._file is None or self._opened_by != os.getpid():
            self._file, self._opened_by = self._open(self._lock_path), os.getpid()
            if self._file is None:
                return True
        deadline, pause = time.monotonic() + self._wait_s, 0.0005
        while True:
            try:
                fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if not blocking:
                    return False
            if time.monotonic() >= deadline:
                raise WriterTurnTimeout(self._lock_path)
            time.sleep(pause)
            pause = min(pause * 2, 0.005)

    def _open(self, path: str) -> int | None:
        """The lock file, made with the database's permissions; None where it cannot be."""
        database = path.removesuffix(LOCK_SUFFIX)
        try:
            mode = os.stat(database).st_mode & 0o666 if os.path.exists(database) else 0o600
            file = os.open(path, os.O_RDONLY | os.O_CREAT, mode)
        except OSError as error:
            _log.warning(
                "cannot open the write-turn file %s (%s): other processes' writers wait "
                "on SQLite's busy timeout instead",
                path,
                error,
            )
            self._lock_path = None
            return None
        weakref.finalize(self, os.close, file)
        return file

    def free_in_forked_child(self) -> None:
        """After a fork: a turn another thread of the parent held is not held in the child.

        The child has only the thread that forked; the lock would otherwise stay taken by
        a thread that does not exist there, and the child's first write would wait forever.
        The parent's writer still holds the file, so the child waits for it as any process.
        """
        if self._holder != threading.get_ident():
            self._threads, self._depth, self._holder = threading.RLock(), 0, None

    def __enter__(self) -> None:
        self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()


LOCK_SUFFIX = "-writer"

# One turn per database file in a process, shared by every engine on it (tests and the
# bench open several): a thread holding it may open another engine's write re-entrantly.
_turns_by_file: weakref.WeakValueDictionary[str, WriterTurn] = weakref.WeakValueDictionary()
_turn_of_engine: weakref.WeakKeyDictionary[Engine, WriterTurn] = weakref.WeakKeyDictionary()
_turns_guard = threading.Lock()


def _free_turns_in_forked_child() -> None:
    global _turns_guard
    _turns_guard = threading.Lock()
    for turn in {*_turns_by_file.values(), *_turn_of_engine.values()}:
        turn.free_in_forked_child()


if hasattr(os, "register_at_fork"):  # not on Windows, which does not fork
    os.register_at_fork(after_in_child=_free_turns_in_forked_child)


def sqlite_writer_turn(engine: Engine) -> WriterTurn | None:
    """The engine's ``WriterTurn``; None on PostgreSQL, which locks rows instead."""
    if engine.dialect.name != "sqlite":
        return None
    with _turns_guard:
        turn = _turn_of_engine.get(engine)
        if turn is None:
            database = engine.url.database
            if database in (None, "", ":memory:") or database.startswith("file:"):
                turn = WriterTurn(None)
            else:
                path = os.path.realpath(database)
                turn = _turns_by_file.get(path) or WriterTurn(path + LOCK_SUFFIX)
                _turns_by_file[path] = turn
            _turn_of_engine[engine] = turn
        return turn


def writer_turn(engine: Engine) -> AbstractContextManager[Any]:
    """Hold while writing (see ``WriterTurn``)."""
    turn = sqlite_writer_turn(engine)
    return nullcontext() if turn is None else turn


def has_idle_connection(engine: Engine) -> bool:
    """Whether a connection can be had from the pool now, without waiting for one."""
    pool = engine.pool
    if not isinstance(pool, QueuePool):
        return True
    return pool.checkedout() < pool.size()


def is_postgresql(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"
