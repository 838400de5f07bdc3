"""Real races on one hot item, on SQLite and PostgreSQL: threads and spawned processes.

Every racer is released by a barrier and posts through the public services, each call
in its own unit of work, exactly as many clerks or API workers would. The invariants
under test: no oversell (no negative stock, successes = units in stock), balances equal
the ledger (``consistency.check``), a replayed request or a double-posted draft moves
stock once, a serial number leaves stock once, and no engine error (deadlock,
serialization failure, busy database) escapes the unit of work's retry.

Creating a document takes the day's number sequence row, so on PostgreSQL racing
``create(post=True)`` calls queue up on that row before they reach any stock. The races
are therefore run twice where it matters: created and posted at once, and as drafts
numbered beforehand and posted at once, which makes the racers meet at the balance row
locks, the guarded balance update and the guarded serial move.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select

from jxc.bootstrap import App, build
from jxc.config import Settings
from jxc.db import schema as s
from jxc.domain.errors import Conflict, DomainError, InsufficientStock
from jxc.queries import stock_levels
from jxc.services import documents
from tests.builders import a_warehouse, an_item, assert_books_balance, issue, receive

T = TypeVar("T")

THREADS = 8
PROCESSES = 4
START_TIMEOUT = 60  # seconds a racer waits for the others at the barrier
RESULT_TIMEOUT = 120


# racers ------------------------------------------------------------------------------------


def issue_one_unit_until_refused(
    app: App, warehouse: str, lines: list[dict[str, Any]], start: Any
) -> list[str]:
    """Wait for the start, then post issues of ``lines`` until stock runs out.

    Returns the numbers of the issues that were posted. Only ``stock.insufficient`` ends
    the loop; anything else (a deadlock or busy error that escaped the retry) propagates.
    """
    start.wait(timeout=START_TIMEOUT)
    posted: list[str] = []
    while True:
        try:
            result = issue(app, warehouse, *lines)
        except InsufficientStock:
            return posted
        assert result.state == "posted"
        posted.append(result.number)


def post_each(app: App, numbers: list[str], start: Any) -> list[str | DomainError]:
    """Wait for the start, then post each draft; the number posted or the refusal, in order."""
    start.wait(timeout=START_TIMEOUT)
    return [outcome(lambda number=number: post(app, number)) for number in numbers]


def post(app: App, number: str) -> str:
    result = documents.post(app.uow(), "tester", number)
    assert result.state == "posted"
    return result.number


def a_draft_issue(app: App, warehouse: str, *lines: dict[str, Any]) -> str:
    draft = documents.create(
        app.uow(),
        "tester",
        {"document_type": "issue", "warehouse": warehouse, "lines": list(lines)},
    )
    assert draft.state == "draft"
    return draft.number


def process_racer(database_url: str, warehouse: str, item: str, start: Any, results: Any) -> None:
    """Entry point of a spawned process: its own App, then the same loop as a thread."""
    try:
        app = build(Settings(database_url=database_url, user="racer"))
        try:
            posted = issue_one_unit_until_refused(
                app, warehouse, [{"item": item, "quantity": "1"}], start
            )
        finally:
            app.dispose()
        results.put(("posted", posted))
    except BaseException:
        results.put(("crashed", traceback.format_exc()))


def race(racers: int, work: Callable[[int, threading.Barrier], T]) -> list[T]:
    """Run ``work(index, start)`` in ``racers`` threads released together; re-raise any error."""
    start = threading.Barrier(racers)
    with ThreadPoolExecutor(max_workers=racers) as pool:
        futures = [pool.submit(work, index, start) for index in range(racers)]
        return [future.result(timeout=RESULT_TIMEOUT) for future in futures]


def outcome(call: Callable[[], T]) -> T | DomainError:
    """The result of ``call``, or the domain error it was refused with."""
    try:
        return call()
    except DomainError as error:
        return error


@contextmanager
def watching_on_hand(app: App, item: str, warehouse: str) -> Iterator[list[Decimal]]:
    """Read the item's on-hand over and over while the block runs; yield every reading."""
    readings: list[Decimal] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            with app.reader() as connection:
                readings.append(stock_levels.on_hand(connection, item, warehouse).on_hand)
            stop.wait(0.002)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        yield readings
    finally:
        stop.set()
        watcher.join(timeout=10)


# what must hold after a race -----------------------------------------------------------


def on_hand(app: App, item: str, warehouse: str) -> Decimal:
    with app.reader() as connection:
        return stock_levels.on_hand(connection, item, warehouse).on_hand


def ledger_quantities(app: App, item_id: int) -> list[tuple[int, int, Decimal]]:
    """(from, to, quantity) of the item's ledger entries in ledger order."""
    entry = s.StockLedgerEntry
    with app.reader() as connection:
        return [
            (row.from_location_id, row.to_location_id, row.quantity)
            for row in connection.execute(
                select(entry.from_location_id, entry.to_location_id, entry.quantity)
                .where(entry.item_id == item_id)
                .order_by(entry.id)
            )
        ]


def assert_never_negative_in_ledger_order(app: App, item_id: int) -> None:
    """Replaying the ledger in id order, the stock location never dips below zero."""
    entries = ledger_quantities(app, item_id)
    stock_location = entries[0][1]  # the first entry is the receipt into stock
    running = Decimal(0)
    for source, target, quantity in entries:
        running += quantity if target == stock_location else 0
        running -= quantity if source == stock_location else 0
        assert running >= 0, entries


def count_documents(app: App, document_type: str) -> int:
    with app.reader() as connection:
        return connection.execute(
            select(func.count())
            .select_from(s.Document)
            .where(s.Document.document_type == document_type)
        ).scalar_one()


def assert_sold_out_exactly(
    app: App, warehouse: str, item: Any, units: int, posted: list[str]
) -> None:
    assert len(posted) == units, "every unit sold exactly once: no oversell, none left"
    assert len(set(posted)) == units, "every issue has its own number"
    assert on_hand(app, item.code, warehouse) == 0
    entries = ledger_quantities(app, item.id)
    assert len(entries) == 1 + units, "one receipt entry and one entry per posted issue"
    assert_never_negative_in_ledger_order(app, item.id)
    assert_books_balance(app)


# races of single-unit issues ---------------------------------------------------------------


@pytest.mark.parametrize("apps", ["one shared App", "an App per thread"])
def test_eight_threads_racing_for_one_hot_item_never_oversell(app, database_url, apps):
    units = 40
    warehouse = a_warehouse(app)
    hot = an_item(app, name="爆款 RETRO-CLOCK")
    receive(app, warehouse, {"item": hot.code, "quantity": str(units)})
    racer_apps = (
        [app] * THREADS
        if apps == "one shared App"
        else [build(Settings(database_url=database_url)) for _ in range(THREADS)]
    )

    def racer(index: int, start: threading.Barrier) -> list[str]:
        lines = [{"item": hot.code, "quantity": "1"}]
        return issue_one_unit_until_refused(racer_apps[index], warehouse, lines, start)

    try:
        with watching_on_hand(app, hot.code, warehouse) as readings:
            per_thread = race(THREADS, racer)
    finally:
        for racer_app in racer_apps:
            if racer_app is not app:
                racer_app.dispose()

    posted = [number for numbers in per_thread for number in numbers]
    assert_sold_out_exactly(app, warehouse, hot, units, posted)
    assert readings, "the watcher read the stock while the race ran"
    assert min(readings) >= 0
    assert count_documents(app, "issue") == units, "a refused issue leaves no draft behind"


def test_four_processes_racing_for_one_hot_item_never_oversell(app, database_url):
    units = 24
    warehouse = a_warehouse(app)
    hot = an_item(app, name="爆款 RETRO-CLOCK")
    receive(app, warehouse, {"item": hot.code, "quantity": str(units)})
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(PROCESSES)
    results = context.Queue()
    racers = [
        context.Process(
            target=process_racer, args=(database_url, warehouse, hot.code, start, results)
        )
        for _ in range(PROCESSES)
    ]
    with watching_on_hand(app, hot.code, warehouse) as readings:
        for racer in racers:
            racer.start()
        try:
            reports = [results.get(timeout=RESULT_TIMEOUT) for _ in racers]
        except queue.Empty:
            reports = []
        finally:
            for racer in racers:
                racer.join(timeout=30)
                if racer.is_alive():
                    racer.kill()

    assert len(reports) == PROCESSES, "every process reported back"
    crashed = [detail for kind, detail in reports if kind == "crashed"]
    assert not crashed, "\n".join(crashed)
    assert all(racer.exitcode == 0 for racer in racers)
    posted = [number for _, numbers in reports for number in numbers]
    assert_sold_out_exactly(app, warehouse, hot, units, posted)
    assert min(readings) >= 0


def test_eight_threads_posting_drafts_of_the_hot_item_never_oversell(app):
    units, drafts_per_thread = 40, 6
    warehouse = a_warehouse(app)
    hot = an_item(app, name="爆款 RETRO-CLOCK")
    receive(app, warehouse, {"item": hot.code, "quantity": str(units)})
    drafts = [
        a_draft_issue(app, warehouse, {"item": hot.code, "quantity": "1"})
        for _ in range(THREADS * drafts_per_thread)
    ]

    with watching_on_hand(app, hot.code, warehouse) as readings:
        per_thread = race(
            THREADS, lambda index, start: post_each(app, drafts[index::THREADS], start)
        )

    outcomes = [o for outcomes in per_thread for o in outcomes]
    posted = [o for o in outcomes if isinstance(o, str)]
    refused = [o for o in outcomes if not isinstance(o, str)]
    assert_sold_out_exactly(app, warehouse, hot, units, posted)
    assert len(refused) == len(drafts) - units
    assert all(isinstance(error, InsufficientStock) for error in refused), refused
    assert min(readings) >= 0
    assert count_documents(app, "issue") == len(drafts), "a refused draft stays a draft"


@pytest.mark.parametrize("how", ["created and posted at once", "drafts posted at once"])
def test_two_line_issues_taking_two_items_in_opposite_orders_neither_deadlock_nor_oversell(
    app, how
):
    units = 30
    warehouse = a_warehouse(app)
    screw, nut = an_item(app, "螺丝-M3-热"), an_item(app, "螺母-M3-热")
    receive(
        app,
        warehouse,
        {"item": screw.code, "quantity": str(units)},
        {"item": nut.code, "quantity": str(units)},
    )
    one_screw = {"item": screw.code, "quantity": "1"}
    one_nut = {"item": nut.code, "quantity": "1"}

    def lines_of(index: int) -> list[dict[str, str]]:
        # Half the clerks list the screw first, the others the nut: deadlock bait.
        return [one_screw, one_nut] if index % 2 else [one_nut, one_screw]

    if how == "created and posted at once":
        per_thread = race(
            THREADS,
            lambda index, start: issue_one_unit_until_refused(
                app, warehouse, lines_of(index), start
            ),
        )
        posted = [number for numbers in per_thread for number in numbers]
    else:
        drafts = [a_draft_issue(app, warehouse, *lines_of(n)) for n in range(units + THREADS)]
        per_thread = race(
            THREADS, lambda index, start: post_each(app, drafts[index::THREADS], start)
        )
        outcomes = [o for outcomes in per_thread for o in outcomes]
        posted = [o for o in outcomes if isinstance(o, str)]
        refused = [o for o in outcomes if not isinstance(o, str)]
        assert all(isinstance(error, InsufficientStock) for error in refused), refused

    assert len(posted) == units
    for item in (screw, nut):
        assert on_hand(app, item.code, warehouse) == 0
        assert len(ledger_quantities(app, item.id)) == 1 + units
        assert_never_negative_in_ledger_order(app, item.id)
    assert_books_balance(app)


# exactly once -----------------------------------------------------------------------------


def test_a_request_replayed_by_eight_threads_at_once_creates_one_document(app):
    warehouse = a_warehouse(app)
    clock = an_item(app, "RETRO-CLOCK")
    line = {"item": clock.code, "quantity": "5", "unit_cost": "12.50"}

    def racer(_index: int, start: threading.Barrier) -> documents.DocumentResult:
        start.wait(timeout=START_TIMEOUT)
        return receive(app, warehouse, line, request_id="double-click-7f3a")

    results = race(THREADS, racer)

    assert len({result.number for result in results}) == 1, results
    assert all(result == results[0] for result in results)
    assert results[0].state == "posted"
    assert count_documents(app, "receipt") == 1
    assert on_hand(app, clock.code, warehouse) == 5
    assert len(ledger_quantities(app, clock.id)) == 1
    with app.reader() as connection:
        assert connection.execute(select(func.count()).select_from(s.RequestLog)).scalar_one() == 1
    assert_books_balance(app)


def test_a_draft_posted_by_eight_threads_at_once_is_posted_once(app):
    warehouse = a_warehouse(app)
    clock = an_item(app, "RETRO-CLOCK")
    receive(app, warehouse, {"item": clock.code, "quantity": "10"})
    draft = documents.create(
        app.uow(),
        "tester",
        {
            "document_type": "issue",
            "warehouse": warehouse,
            "lines": [{"item": clock.code, "quantity": "3"}],
        },
    )
    assert draft.state == "draft"

    def racer(_index: int, start: threading.Barrier) -> documents.DocumentResult | DomainError:
        start.wait(timeout=START_TIMEOUT)
        return outcome(lambda: documents.post(app.uow(), "tester", draft.number))

    outcomes = race(THREADS, racer)

    posted = [o for o in outcomes if isinstance(o, documents.DocumentResult)]
    refused = [o for o in outcomes if isinstance(o, DomainError)]
    assert len(posted) == 1, outcomes
    assert posted[0].number == draft.number
    assert posted[0].state == "posted"
    assert len(refused) == THREADS - 1
    assert all(isinstance(error, Conflict) for error in refused), refused
    assert {error.code for error in refused} == {"workflow.transition_not_allowed"}
    assert {error.params["number"] for error in refused} == {draft.number}
    assert on_hand(app, clock.code, warehouse) == 7, "stock moved once"
    assert len(ledger_quantities(app, clock.id)) == 2
    assert_books_balance(app)


@pytest.mark.parametrize("how", ["created and posted at once", "drafts posted at once"])
def test_two_threads_shipping_the_same_serial_number_ship_it_once(app, how):
    rounds = 5
    warehouse = a_warehouse(app)
    phone = an_item(app, "手机-X1", base_unit="台", tracking="serial")
    serials = [f"SN-X1-{n:03d}" for n in range(1, rounds + 1)]
    receive(app, warehouse, {"item": phone.code, "quantity": str(rounds), "serials": serials})

    def ship_now(line: dict[str, Any], start: threading.Barrier) -> str | DomainError:
        start.wait(timeout=START_TIMEOUT)
        return outcome(lambda: issue(app, warehouse, line).number)

    def post_own_draft(
        drafts: list[str], index: int, start: threading.Barrier
    ) -> str | DomainError:
        return post_each(app, [drafts[index]], start)[0]

    for serial in serials:
        line = {"item": phone.code, "quantity": "1", "serials": [serial]}
        if how == "created and posted at once":
            outcomes = race(2, lambda _index, start, line=line: ship_now(line, start))
        else:
            drafts = [a_draft_issue(app, warehouse, line) for _ in range(2)]
            outcomes = race(2, lambda index, start, d=drafts: post_own_draft(d, index, start))

        shipped = [o for o in outcomes if isinstance(o, str)]
        refused = [o for o in outcomes if not isinstance(o, str)]
        assert len(shipped) == 1, (serial, outcomes)
        assert len(refused) == 1, (serial, outcomes)
        # Who loses depends on timing: it saw the serial already gone (not in stock), it
        # found the item's balance spent under lock (the last serial), or it lost the
        # guarded move of the serial to the winner.
        assert refused[0].code in {"serial.not_in_stock", "stock.insufficient"}, refused
        assert {item.code for item in refused[0].items} <= {
            "serial.not_in_stock",
            "stock.line_short",
            "serial.moved_concurrently",
        }, refused[0].items

    assert on_hand(app, phone.code, warehouse) == 0
    assert len(ledger_quantities(app, phone.id)) == 2 * rounds
    with app.reader() as connection:
        places = connection.execute(
            select(s.Location.code)
            .join(s.SerialNumber, s.SerialNumber.location_id == s.Location.id)
            .where(s.SerialNumber.item_id == phone.id)
        ).scalars()
        assert set(places) == {"CUSTOMER"}
    assert_books_balance(app)
