"""SQLite's write turn: one writer among threads and processes, and short API writes on the
event loop when the turn is free.

The turn is an in-process lock plus an ``flock`` beside the database file. These tests hold
it from another thread or another (spawned) process and check who may take it meanwhile,
then that the API's ``Acting`` runs a small write where the turn allows and sends every
other write to the thread pool.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine

from jxc.api.deps import INLINE_WRITE_MAX_BYTES, Acting
from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.db.engine import make_engine, sqlite_writer_turn
from jxc.services import auth
from tests.conftest import TESTER, TESTER_PASSWORD

TIMEOUT_S = 60


def _hold_in_process(url: str, held: Any, release: Any) -> None:
    engine = make_engine(url)
    turn = sqlite_writer_turn(engine)
    assert turn is not None
    with turn:
        held.set()
        release.wait(TIMEOUT_S)


@contextmanager
def held_by_another_process(url: str) -> Iterator[None]:
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    process = context.Process(target=_hold_in_process, args=(url, held, release))
    process.start()
    try:
        assert held.wait(TIMEOUT_S), "the other process never took the turn"
        yield
    finally:
        release.set()
        process.join(TIMEOUT_S)
    assert process.exitcode == 0


@contextmanager
def held_by_another_thread(app: App) -> Iterator[threading.Event]:
    """Held until the event yielded is set (or the block ends)."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with app.write_turn_if_free() as free:
            assert free
            held.set()
            release.wait(TIMEOUT_S)

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert held.wait(TIMEOUT_S)
        yield release
    finally:
        release.set()
        thread.join(TIMEOUT_S)


@pytest.fixture
def sqlite_app(tmp_path: Path, sqlite_template: Path) -> Iterator[App]:
    """A test database on SQLite whatever ``--db`` says: the turn exists on SQLite only."""
    path = tmp_path / "turn.db"
    shutil.copy(sqlite_template, path)
    app = build(Settings(database_url=f"sqlite:///{path}"))
    yield app
    app.dispose()


def test_a_thread_takes_the_turn_again_while_another_thread_must_wait(sqlite_app: App) -> None:
    turn = sqlite_writer_turn(sqlite_app.engine)
    assert turn is not None
    outside: list[bool] = []
    with turn, turn:  # re-entrant
        probe = threading.Thread(target=lambda: outside.append(turn.acquire(blocking=False)))
        probe.start()
        probe.join()
    assert outside == [False]
    assert turn.acquire(blocking=False)  # released fully by both exits
    turn.release()


def test_another_process_holding_the_turn_keeps_this_one_out_until_it_lets_go(
    sqlite_app: App,
) -> None:
    url = sqlite_app.engine.url.render_as_string()
    turn = sqlite_writer_turn(sqlite_app.engine)
    assert turn is not None
    with held_by_another_process(url):
        assert not turn.acquire(blocking=False)
        with sqlite_app.write_turn_if_free() as free:
            assert not free
    assert turn.acquire(blocking=False)
    turn.release()


def test_a_blocking_writer_waits_for_the_other_process_and_then_writes(sqlite_app: App) -> None:
    url = sqlite_app.engine.url.render_as_string()
    turn = sqlite_writer_turn(sqlite_app.engine)
    assert turn is not None
    context = multiprocessing.get_context("spawn")
    held, release = context.Event(), context.Event()
    process = context.Process(target=_hold_in_process, args=(url, held, release))
    process.start()
    assert held.wait(TIMEOUT_S)
    got: list[bool] = []

    def wait_for_the_turn() -> None:
        got.append(turn.acquire())
        turn.release()

    waiter = threading.Thread(target=wait_for_the_turn)
    waiter.start()
    waiter.join(0.2)
    assert waiter.is_alive()  # still waiting on the other process
    assert got == []
    release.set()
    waiter.join(TIMEOUT_S)
    process.join(TIMEOUT_S)
    assert got == [True]
    assert turn.acquire(blocking=False)
    turn.release()


def test_engines_on_one_file_share_a_turn_and_in_memory_ones_do_not(tmp_path: Path) -> None:
    first = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    second = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    other = make_engine(f"sqlite:///{tmp_path / 'b.db'}")
    memory, memory_too = make_engine("sqlite://"), make_engine("sqlite://")
    assert sqlite_writer_turn(first) is sqlite_writer_turn(second)
    assert sqlite_writer_turn(first) is not sqlite_writer_turn(other)
    assert sqlite_writer_turn(memory) is not sqlite_writer_turn(memory_too)
    assert not (tmp_path / ":memory:-writer").exists()
    postgresql = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert sqlite_writer_turn(postgresql) is None


def test_on_postgresql_no_write_runs_outside_the_pool() -> None:
    app = App(Settings(), create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    with app.write_turn_if_free() as free:
        assert not free


# Acting: where the API runs a write -----------------------------------------------------


def _where(app: App, small_body: bool, bounded_by_body: bool) -> tuple[str, str]:
    """(the thread the write ran on, the user it ran as), from an event loop in this thread."""
    token = auth.login(app.uow(), TESTER, TESTER_PASSWORD).token
    acting = Acting(app, token, small_body)

    def work(actor: str) -> tuple[str, str]:
        return threading.current_thread().name, actor

    async def act() -> tuple[str, str]:
        return await acting(work, bounded_by_body=bounded_by_body)

    return asyncio.run(act())


def test_a_small_write_bounded_by_its_body_runs_on_the_event_loop(sqlite_app: App) -> None:
    assert _where(sqlite_app, small_body=True, bounded_by_body=True) == (
        threading.current_thread().name,
        TESTER,
    )


@pytest.mark.parametrize(
    ("small_body", "bounded_by_body"),
    [(False, True), (True, False), (False, False)],
    ids=["large body", "work not bounded by the body", "neither"],
)
def test_other_writes_go_to_the_thread_pool(
    sqlite_app: App, small_body: bool, bounded_by_body: bool
) -> None:
    thread, actor = _where(sqlite_app, small_body, bounded_by_body)
    assert thread != threading.current_thread().name
    assert actor == TESTER


def test_a_small_write_waits_in_the_pool_while_another_thread_writes(sqlite_app: App) -> None:
    token = auth.login(sqlite_app.uow(), TESTER, TESTER_PASSWORD).token
    acting = Acting(sqlite_app, token, small_body=True)
    loop_thread = threading.current_thread().name
    turn = sqlite_writer_turn(sqlite_app.engine)
    assert turn is not None

    def write(_actor: str) -> str:
        with turn:  # as every unit of work that writes takes it
            return threading.current_thread().name

    with held_by_another_thread(sqlite_app) as release:

        async def act() -> tuple[bool, str]:
            task = asyncio.ensure_future(acting(write, bounded_by_body=True))
            await asyncio.sleep(0.2)  # the loop runs on while the write waits for its turn
            waited = not task.done()
            release.set()
            return waited, await task

        waited, ran_on = asyncio.run(act())
    assert waited
    assert ran_on != loop_thread


def test_the_inline_limit_is_a_few_dozen_lines() -> None:
    line = '{"item": "SKU-00001", "quantity": "12", "unit": "箱", "unit_cost": "12.50"},'
    assert 30 * len(line.encode()) < INLINE_WRITE_MAX_BYTES < 200 * len(line.encode())
