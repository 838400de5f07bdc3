"""SQLite's write turn: one writer among threads and processes, and short API writes on the
event loop only when nothing would make them wait.

The turn is an in-process lock plus an ``flock`` beside the database file. These tests hold
it from another thread or another (spawned) process and check who may take it meanwhile
and afterwards, a process forked while another thread holds it included; then that the
API's ``Acting`` runs a small write on the event loop where it may, and sends every other
write to the thread pool: a large body, a write not bounded by its body, a turn held
elsewhere, SQLite's lock held by a program outside JXC, no lock file, or PostgreSQL.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from starlette.requests import Request

from jxc.api.deps import INLINE_WRITE_MAX_BYTES, Acting
from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.db import schema as s
from jxc.db.engine import (
    LOCK_SUFFIX,
    WriterTurn,
    WriterTurnTimeout,
    make_engine,
    sqlite_writer_turn,
)
from jxc.domain.errors import Conflict
from jxc.services import auth, catalog
from tests.conftest import TESTER, TESTER_PASSWORD

TIMEOUT_S = 60


def _hold_in_process(url: str, held: Any, release: Any) -> None:
    turn = sqlite_writer_turn(make_engine(url))
    assert turn is not None
    with turn:
        held.set()
        release.wait(TIMEOUT_S)


def _take_in_process(url: str) -> None:
    """Exit 0 if this process may take the turn at once, 1 if another holds it."""
    turn = sqlite_writer_turn(make_engine(url))
    assert turn is not None
    raise SystemExit(0 if turn.acquire(blocking=False) else 1)


def _take_after_fork(turn: WriterTurn) -> None:
    """Exit 0 once this forked process has the turn its parent's engine shares."""
    raise SystemExit(0 if turn.acquire() else 1)


def may_another_process_take_it(url: str) -> bool:
    process = multiprocessing.get_context("spawn").Process(target=_take_in_process, args=(url,))
    process.start()
    process.join(TIMEOUT_S)
    assert process.exitcode in (0, 1)
    return process.exitcode == 0


@contextmanager
def held_by_another_process(url: str) -> Iterator[Any]:
    """Held until the event yielded is set (or the block ends)."""
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    process = context.Process(target=_hold_in_process, args=(url, held, release))
    process.start()
    try:
        assert held.wait(TIMEOUT_S), "the other process never took the turn"
        yield release
    finally:
        release.set()
        process.join(TIMEOUT_S)
    assert process.exitcode == 0


@contextmanager
def held_by_another_thread(turn: WriterTurn) -> Iterator[threading.Event]:
    """Held until the event yielded is set (or the block ends)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with turn:
            held.set()
            release.wait(TIMEOUT_S)

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        assert held.wait(TIMEOUT_S)
        yield release
    finally:
        release.set()
        thread.join(TIMEOUT_S)


@contextmanager
def sqlite_lock_held_outside_jxc(path: Path, seconds: float) -> Iterator[Callable[[], None]]:
    """SQLite's write lock taken by a plain sqlite3 connection, until the function yielded
    releases it, or ``seconds`` have passed."""
    outsider = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    outsider.execute("BEGIN IMMEDIATE")
    released = threading.Lock()

    def release() -> None:
        with released:
            if outsider.in_transaction:
                outsider.rollback()

    timer = threading.Timer(seconds, release)
    timer.start()
    try:
        yield release
    finally:
        timer.cancel()
        release()
        outsider.close()


@pytest.fixture
def sqlite_app(tmp_path: Path, sqlite_template: Path) -> Iterator[App]:
    """A test database on SQLite whatever ``--db`` says: the turn exists on SQLite only."""
    path = tmp_path / "turn.db"
    shutil.copy(sqlite_template, path)
    app = build(Settings(database_url=f"sqlite:///{path}"))
    yield app
    app.dispose()


def _turn(app: App) -> WriterTurn:
    turn = sqlite_writer_turn(app.engine)
    assert turn is not None
    return turn


def _url(app: App) -> str:
    return app.engine.url.render_as_string()


# the turn ---------------------------------------------------------------------------------


def test_a_thread_takes_the_turn_again_while_another_thread_must_wait(sqlite_app: App) -> None:
    turn = _turn(sqlite_app)
    outside: list[bool] = []
    with turn, turn:  # re-entrant
        probe = threading.Thread(target=lambda: outside.append(turn.acquire(blocking=False)))
        probe.start()
        probe.join()
    assert outside == [False]
    probe = threading.Thread(target=lambda: outside.append(turn.acquire(blocking=False)))
    probe.start()
    probe.join()
    assert outside == [False, True]  # released fully by both exits


def test_the_turn_held_here_keeps_other_processes_out_and_is_theirs_once_released(
    sqlite_app: App,
) -> None:
    turn, url = _turn(sqlite_app), _url(sqlite_app)
    assert turn.guards_processes
    with turn, turn:
        assert not may_another_process_take_it(url)
    assert may_another_process_take_it(url)


def test_a_process_forked_while_another_thread_writes_takes_the_turn_once_it_is_done(
    sqlite_app: App,
) -> None:
    turn = _turn(sqlite_app)
    child = multiprocessing.get_context("fork").Process(target=_take_after_fork, args=(turn,))
    try:
        with held_by_another_thread(turn) as release:
            child.start()
            child.join(0.3)
            assert child.is_alive()  # the parent's writer still holds the file: it waits
            release.set()
            child.join(TIMEOUT_S)
        assert child.exitcode == 0
    finally:
        if child.is_alive():  # stuck on a lock held by a thread it does not have
            child.kill()


def test_another_process_holding_the_turn_keeps_this_one_out_until_it_lets_go(
    sqlite_app: App,
) -> None:
    turn = _turn(sqlite_app)
    with held_by_another_process(_url(sqlite_app)):
        assert not turn.acquire(blocking=False)
        assert sqlite_app.write_at_once(lambda: "ran") == (False, None)
    assert sqlite_app.write_at_once(lambda: "ran") == (True, "ran")


def test_a_blocking_writer_waits_for_the_other_process_and_then_writes(sqlite_app: App) -> None:
    turn = _turn(sqlite_app)
    got: list[bool] = []

    def wait_for_the_turn() -> None:
        got.append(turn.acquire())
        turn.release()

    with held_by_another_process(_url(sqlite_app)) as release:
        waiter = threading.Thread(target=wait_for_the_turn, daemon=True)
        waiter.start()
        waiter.join(0.3)
        assert waiter.is_alive()  # still waiting on the other process
        assert got == []
        release.set()
        waiter.join(TIMEOUT_S)
    assert got == [True]


def test_a_writer_gives_up_after_the_busy_timeout_and_the_service_says_so(
    sqlite_app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = str(Path(sqlite_app.engine.url.database or "").resolve()) + LOCK_SUFFIX
    impatient = WriterTurn(path, wait_s=0.3)
    with held_by_another_process(_url(sqlite_app)):
        began = time.monotonic()
        with pytest.raises(WriterTurnTimeout):
            impatient.acquire()
        assert 0.3 <= time.monotonic() - began < TIMEOUT_S
        # Through a service: the unit of work turns the timeout into a refusal.
        monkeypatch.setattr("jxc.db.engine._turn_of_engine", {sqlite_app.engine: impatient})
        with pytest.raises(Conflict) as refused:
            catalog.add_warehouse(sqlite_app.uow(), TESTER, {"code": "W9", "name": "仓库"})
        assert refused.value.code == "database.busy"
    with sqlite_app.reader() as connection:
        assert connection.scalar(select(func.count()).select_from(s.Warehouse)) == 0


def test_engines_on_one_file_share_a_turn_and_in_memory_ones_do_not(tmp_path: Path) -> None:
    first = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    second = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    other = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    memory, memory_too = make_engine("sqlite://"), make_engine("sqlite:///:memory:")
    assert sqlite_writer_turn(first) is sqlite_writer_turn(second)
    assert sqlite_writer_turn(first) is not sqlite_writer_turn(other)
    in_memory = [sqlite_writer_turn(memory), sqlite_writer_turn(memory_too)]
    assert in_memory[0] is not in_memory[1]
    assert not any(turn is None or turn.guards_processes for turn in in_memory)
    assert sqlite_writer_turn(create_engine("postgresql+psycopg://nobody@127.0.0.1:1/x")) is None


def test_a_lock_file_that_cannot_be_opened_leaves_writes_to_sqlites_own_lock(
    sqlite_app: App,
) -> None:
    path = Path(sqlite_app.engine.url.database or "").resolve()
    Path(str(path) + LOCK_SUFFIX).mkdir()  # opening it for the lock fails
    turn = _turn(sqlite_app)
    catalog.add_warehouse(sqlite_app.uow(), TESTER, {"code": "W1", "name": "仓库"})
    assert not turn.guards_processes
    assert sqlite_app.write_at_once(lambda: "ran") == (False, None)  # could be kept waiting


def test_the_lock_file_takes_the_databases_permissions(sqlite_app: App) -> None:
    path = Path(sqlite_app.engine.url.database or "").resolve()
    path.chmod(0o660)
    catalog.add_warehouse(sqlite_app.uow(), TESTER, {"code": "W1", "name": "仓库"})
    assert Path(str(path) + LOCK_SUFFIX).stat().st_mode & 0o777 == 0o660 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_on_postgresql_no_write_runs_at_once() -> None:
    app = App(Settings(), create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    assert app.write_at_once(lambda: "ran") == (False, None)


# Acting: where the API runs a write -----------------------------------------------------


def _request(body_bytes: int) -> Request:
    body = b"x" * body_bytes

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request({"type": "http", "method": "POST", "headers": []}, receive)


def _act(app: App, work: Callable[[str], Any], body_bytes: int, bounded_by_body: bool) -> Any:
    """``work``'s result, acted from an event loop in this thread."""
    token = auth.login(app.uow(), TESTER, TESTER_PASSWORD).token
    acting = Acting(app, token, _request(body_bytes))

    async def act() -> Any:
        return await acting(work, bounded_by_body=bounded_by_body)

    return asyncio.run(act())


def _add_warehouse(app: App) -> Callable[[str], tuple[str, str]]:
    """A real write that answers the thread it ran on and the user it ran as."""

    def work(actor: str) -> tuple[str, str]:
        catalog.add_warehouse(app.uow(), actor, {"code": "W1", "name": "仓库"})
        return threading.current_thread().name, actor

    return work


def test_a_small_write_bounded_by_its_body_runs_on_the_event_loop(sqlite_app: App) -> None:
    ran = _act(sqlite_app, _add_warehouse(sqlite_app), 200, bounded_by_body=True)
    assert ran == (threading.current_thread().name, TESTER)


@pytest.mark.parametrize(
    ("body_bytes", "bounded_by_body"),
    [(INLINE_WRITE_MAX_BYTES + 1, True), (200, False)],
    ids=["body over the limit", "work not bounded by the body"],
)
def test_other_writes_go_to_the_thread_pool(
    sqlite_app: App, body_bytes: int, bounded_by_body: bool
) -> None:
    thread, actor = _act(sqlite_app, _add_warehouse(sqlite_app), body_bytes, bounded_by_body)
    assert thread != threading.current_thread().name
    assert actor == TESTER


def test_a_write_finding_sqlite_locked_by_another_program_goes_to_the_pool_at_once(
    sqlite_app: App,
) -> None:
    path = Path(sqlite_app.engine.url.database or "")
    token = auth.login(sqlite_app.uow(), TESTER, TESTER_PASSWORD).token
    acting = Acting(sqlite_app, token, _request(200))
    loop_free_after: list[float] = []

    async def act(release_lock: Callable[[], None]) -> tuple[str, str]:
        began = time.monotonic()
        task = asyncio.ensure_future(acting(_add_warehouse(sqlite_app), bounded_by_body=True))
        await asyncio.sleep(0)  # the loop runs again once the write has left it
        loop_free_after.append(time.monotonic() - began)
        release_lock()
        result: tuple[str, str] = await task
        return result

    with sqlite_lock_held_outside_jxc(path, seconds=10.0) as release_lock:
        thread, _ = asyncio.run(act(release_lock))
    # A write that waited on the event loop would have held it until the lock's release
    # after 10 s, since the loop releases it only once it runs again.
    assert loop_free_after[0] < 5.0
    assert thread != threading.current_thread().name
    with sqlite_app.reader() as connection:
        assert connection.scalar(select(func.count()).select_from(s.Warehouse)) == 1


def test_a_small_write_waits_in_the_pool_while_another_thread_writes(sqlite_app: App) -> None:
    token = auth.login(sqlite_app.uow(), TESTER, TESTER_PASSWORD).token
    acting = Acting(sqlite_app, token, _request(200))
    with held_by_another_thread(_turn(sqlite_app)) as release:

        async def act() -> tuple[bool, tuple[str, str]]:
            task = asyncio.ensure_future(acting(_add_warehouse(sqlite_app), bounded_by_body=True))
            await asyncio.sleep(0.2)  # the loop runs on while the write waits for its turn
            waited = not task.done()
            release.set()
            return waited, await task

        waited, (thread, _) = asyncio.run(act())
    assert waited
    assert thread != threading.current_thread().name


def test_the_inline_limit_is_a_few_dozen_lines() -> None:
    line = '{"item": "SKU-00001", "quantity": "12", "unit": "箱", "unit_cost": "12.50"},'
    assert 30 * len(line.encode()) < INLINE_WRITE_MAX_BYTES < 200 * len(line.encode())
