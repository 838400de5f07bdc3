"""`jxc bench`: the project's own benchmark (DESIGN.md, "Speed is a feature").

Every figure comes from a fresh temporary database filled through the services, as a
real business would fill it: a catalogue, opening stock, a year of 100-line receipts,
issues and transfers, then timed phases (single-line documents one per transaction,
guarded shipments, on-hand look-ups through the query layer, a whole-warehouse stock
list, a race of worker processes on one hot item) and finally ``jxc check`` over it all.

SQLite runs in a temporary directory; ``--database-url`` names a PostgreSQL server on
which a uniquely named database is created and dropped afterwards.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import queue
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

import jxc
from jxc.bootstrap import App, build, create_database, drop_database, upgrade
from jxc.cli.bench_channels import channel_http_race, channel_race
from jxc.cli.bench_http import http_phase, percentile
from jxc.cli.output import crossed, err, out, state
from jxc.config import Settings
from jxc.domain import kpi as kpi_rules
from jxc.domain.errors import DomainError, InsufficientStock
from jxc.domain.periods import Period, company_time
from jxc.queries import audit, consistency, kpi, reports, stock_levels
from jxc.services import auth, catalog, documents, periods, stocktakes, workflows

ACTOR = "bench"
HOT_ITEM = "HOT-0001"


# profiles --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How big the benchmark's company is and how many times each phase runs."""

    name: str
    warehouses: int
    skus: int
    ledger_rows: int  # history to build: about this many ledger rows
    single_documents: int
    shipments: int
    on_hand_calls: int
    units_per_racer: int  # the hot item holds workers × this many units
    http_requests_per_client: int  # jxc bench --http
    lines_per_document: int = 100
    warehouse_stock_calls: int = 9
    batch_share: float = 0.05
    serial_share: float = 0.02

    def scaled(self, factor: float) -> Profile:
        """The same profile with every count multiplied by ``factor`` (tests use 0.05)."""

        def times(value: int, least: int) -> int:
            return max(least, round(value * factor))

        return replace(
            self,
            skus=times(self.skus, 10),
            ledger_rows=times(self.ledger_rows, 200),
            single_documents=times(self.single_documents, 20),
            shipments=times(self.shipments, 20),
            on_hand_calls=times(self.on_hand_calls, 20),
            units_per_racer=times(self.units_per_racer, 5),
            http_requests_per_client=times(self.http_requests_per_client, 8),
        )


QUICK = Profile(
    "quick",
    warehouses=5,
    skus=200,
    ledger_rows=20_000,
    single_documents=1_000,
    shipments=1_000,
    on_hand_calls=1_000,
    units_per_racer=50,
    http_requests_per_client=40,
)
DEFAULT = Profile(
    "default",
    warehouses=5,
    skus=2_000,
    ledger_rows=1_000_000,
    single_documents=5_000,
    shipments=5_000,
    on_hand_calls=5_000,
    units_per_racer=50,
    http_requests_per_client=250,
)


@dataclass(frozen=True)
class Target:
    metric: str
    label: str
    limit: float
    at_least: bool  # True: value ≥ limit is good; False: value ≤ limit is good
    engines: tuple[str, ...] = ("sqlite", "postgresql")

    def met(self, value: float) -> bool:
        return value >= self.limit if self.at_least else value <= self.limit

    def describe(self) -> str:
        sign = "≥" if self.at_least else "≤"
        where = "" if len(self.engines) > 1 else f" ({self.engines[0]})"
        return f"{sign} {self.limit:,g}{where}"


TARGETS = {
    target.metric: target
    for target in (
        Target("post_single_docs_per_s", "single-line documents /s", 1_000, True, ("sqlite",)),
        Target("post_batch_lines_per_s", "lines /s in 100-line documents", 20_000, True),
        Target("on_hand_p50_ms", "on-hand p50 (ms)", 0.5, False),
        Target("warehouse_stock_ms", "warehouse stock list (ms)", 30, False),
        Target("check_s", "jxc check (s)", 10, False),
        Target("stock_summary_s", "进销存汇总表, one month (s)", 2, False),
        Target("race_oversells", "oversells in the race", 0, False),
        Target("channel_oversells", "oversells in the channel race", 0, False),
        Target("http_posts_per_s", "documents posted /s over HTTP", 300, True, ("sqlite",)),
        Target("http_p95_ms", "HTTP p95 (ms)", 100, False, ("sqlite",)),
        Target("http_oversells", "oversells over HTTP", 0, False),
        Target("http_channel_oversells", "oversells in the channel race over HTTP", 0, False),
    )
}
LABELS = {
    "post_single_docs_per_s": "single-line documents /s",
    "post_shipment_docs_per_s": "guarded 1-line shipments /s",
    "post_batch_lines_per_s": "lines /s in 100-line documents",
    "on_hand_p50_ms": "on-hand p50 (ms)",
    "on_hand_p99_ms": "on-hand p99 (ms)",
    "warehouse_stock_ms": "warehouse stock list (ms)",
    "warehouse_stock_items": "items in that list",
    "check_s": "jxc check (s)",
    "ledger_rows": "ledger rows",
    "stock_summary_s": "进销存汇总表, one month (s)",
    "stock_summary_rows": "rows in that summary",
    "stock_summary_ledger_s": "the same, opening from the whole ledger (s)",
    "ageing_s": "库龄分析, every warehouse (s)",
    "ageing_rows": "rows in that ageing",
    "kpi_s": "库存 KPI, six months (s)",
    "stocktake_lines": "stocktake lines (one warehouse)",
    "stocktake_lines_per_s": "盘点 lines counted and approved /s",
    "period_close_s": "closing one month (结账, s)",
    "audit_verify_s": "jxc audit verify (s)",
    "audit_events": "audit events",
    "race_workers": "race workers",
    "race_posts_per_s": "race posts /s",
    "race_oversells": "oversells in the race",
    "channel_orders": "channel orders approved",
    "channel_orders_per_s": "channel orders /s",
    "channel_oversells": "oversells in the channel race",
    "http_clients": "HTTP clients",
    "http_requests": "HTTP requests",
    "http_posts_per_s": "documents posted /s over HTTP",
    "http_p50_ms": "HTTP p50 (ms)",
    "http_p95_ms": "HTTP p95 (ms)",
    "http_p99_ms": "HTTP p99 (ms)",
    "http_server_cpu_per_post_ms": "server CPU per HTTP posting (ms)",
    "http_oversells": "oversells over HTTP",
    "http_channel_orders_per_s": "channel orders /s over HTTP",
    "http_channel_oversells": "oversells in the channel race over HTTP",
    "peak_rss_mb": "peak RSS (MB)",
    "total_s": "whole run (s)",
}


# the company the benchmark builds ---------------------------------------------------------


@dataclass
class Stockroom:
    """What the benchmark created and the stock it expects, to pick lines that must post."""

    warehouses: list[str] = field(default_factory=list)
    plain: list[str] = field(default_factory=list)
    batched: list[str] = field(default_factory=list)
    serialized: list[str] = field(default_factory=list)
    cost: dict[str, str] = field(default_factory=dict)
    items: list[str] = field(default_factory=list)  # every SKU (not the race's hot item)
    kind: dict[str, str] = field(default_factory=dict)  # item → none, batch or serial
    stock: dict[str, dict[str, int]] = field(default_factory=dict)  # warehouse → item → units
    serials: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    serial_counter: int = 0

    def tracking(self, item: str) -> str:
        return self.kind[item]

    def index(self) -> None:
        """Start from empty stock once the catalogue is complete."""
        self.items = self.plain + self.batched + self.serialized
        self.kind = {
            **dict.fromkeys(self.plain, "none"),
            **dict.fromkeys(self.batched, "batch"),
            **dict.fromkeys(self.serialized, "serial"),
        }
        self.stock = {w: dict.fromkeys(self.items, 0) for w in self.warehouses}
        self.serials = {w: {i: [] for i in self.serialized} for w in self.warehouses}

    def add(self, warehouse: str, line: dict[str, Any]) -> None:
        self.stock[warehouse][line["item"]] += int(line["quantity"])
        if line.get("serials"):
            self.serials[warehouse][line["item"]].extend(line["serials"])

    def take(self, warehouse: str, line: dict[str, Any]) -> None:
        self.stock[warehouse][line["item"]] -= int(line["quantity"])
        for serial in line.get("serials", ()):
            self.serials[warehouse][line["item"]].remove(serial)


@dataclass
class Run:
    """One benchmark run: its database, its company, its random numbers and its findings."""

    app: App
    engine: str
    profile: Profile
    rng: random.Random
    progress: Progress
    room: Stockroom = field(default_factory=Stockroom)
    results: dict[str, float | int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    batch_lines: int = 0
    batch_seconds: float = 0.0

    def post(self, data: dict[str, Any]) -> documents.DocumentResult:
        return documents.create(self.app.uow(), ACTOR, data, post=True)

    def timed(
        self, step: Callable[..., documents.DocumentResult], *args: Any
    ) -> documents.DocumentResult:
        """Run one 100-line posting and count its lines and the time the service took.

        Only the service call is timed: generating the next document is the bench's work.
        """
        began = time.perf_counter()
        result = step(*args)
        self.batch_seconds += time.perf_counter() - began
        self.batch_lines += result.lines
        return result

    @contextmanager
    def phase(self, description: str, total: int) -> Iterator[Callable[[int], None]]:
        task: TaskID = self.progress.add_task(description, total=total)

        def advance(done: int = 1) -> None:
            self.progress.advance(task, done)

        yield advance
        self.progress.update(task, completed=total)
        self.progress.stop_task(task)


def _on_day(app: App, day: date, rng: random.Random) -> None:
    """Make the services' clock say ``day`` (documents are numbered by their creation day)."""
    moment = company_time(day, clock_time(9), app.zone) + timedelta(minutes=rng.randrange(0, 540))
    app.clock = lambda: moment


# phases -----------------------------------------------------------------------------------


def build_catalogue(run: Run) -> None:
    """Warehouses and SKUs through the services: some batch-tracked, some serial-tracked."""
    profile, room = run.profile, run.room
    batched = max(1, round(profile.skus * profile.batch_share))
    serialized = max(1, round(profile.skus * profile.serial_share))
    with run.phase("catalogue", profile.warehouses + profile.skus + 1) as advance:
        for number in range(1, profile.warehouses + 1):
            code = f"W{number:02d}"
            catalog.add_warehouse(run.app.uow(), ACTOR, {"code": code, "name": f"仓库 {number}"})
            room.warehouses.append(code)
            advance(1)
        for number in range(1, profile.skus + 1):
            code = f"SKU-{number:05d}"
            item: dict[str, Any] = {"code": code, "name": f"商品 {number}", "base_unit": "个"}
            if number <= batched:
                # Shelf lives outlast the year of history: an expired batch leaves only by a
                # line naming it, and the bench's stock counts units, not batches.
                item.update(tracking="batch", shelf_life_days=run.rng.choice([400, 540, 720]))
                room.batched.append(code)
            elif number <= batched + serialized:
                item.update(tracking="serial", base_unit="台")
                room.serialized.append(code)
            else:
                item["units"] = {"箱": "12"}
                room.plain.append(code)
            room.cost[code] = f"{run.rng.uniform(0.5, 500):.2f}"
            catalog.add_item(run.app.uow(), ACTOR, item)
            advance(1)
        catalog.add_item(
            run.app.uow(), ACTOR, {"code": HOT_ITEM, "name": "爆款", "base_unit": "个"}
        )
        advance(1)
    room.index()


def _receipt_line(run: Run, item: str, day: date, small: bool = False) -> dict[str, Any]:
    room, rng = run.room, run.rng
    line: dict[str, Any] = {"item": item, "unit_cost": room.cost[item]}
    kind = room.tracking(item)
    if kind == "serial":
        count = rng.randint(1, 3)
        serials = []
        for _ in range(count):
            room.serial_counter += 1
            serials.append(f"SN{room.serial_counter:08d}")
        line.update(quantity=str(count), serials=serials)
    elif kind == "batch":
        produced = day - timedelta(days=rng.randint(1, 30))
        line.update(
            quantity=str(rng.randint(5, 40)),
            batch=f"{produced:%Y%m%d}",
            production_date=produced.isoformat(),
        )
    else:
        line["quantity"] = str(rng.randint(1, 20) if small else rng.randint(20, 200))
    return line


def _outgoing_lines(run: Run, warehouse: str, count: int) -> list[dict[str, Any]]:
    """Up to ``count`` lines of distinct items the warehouse holds, each within its stock."""
    room, rng = run.room, run.rng
    held = room.stock[warehouse]
    candidates = rng.sample(room.items, min(len(room.items), count * 2))
    lines = []
    for item in candidates:
        units = held[item]
        if units <= 0:
            continue
        if room.tracking(item) == "serial":
            serial = rng.choice(room.serials[warehouse][item])
            lines.append({"item": item, "quantity": "1", "serials": [serial]})
        else:
            lines.append({"item": item, "quantity": str(rng.randint(1, min(units, 40)))})
        if len(lines) == count:
            break
    return lines


def _receive(run: Run, warehouse: str, day: date, items: list[str]) -> documents.DocumentResult:
    """Post a receipt of ``items`` dated ``day`` and book what it brought in."""
    lines = [_receipt_line(run, item, day) for item in items]
    data = {
        "document_type": "receipt",
        "warehouse": warehouse,
        "business_date": day.isoformat(),
        "lines": lines,
    }
    result = run.timed(run.post, data)
    for line in lines:
        run.room.add(warehouse, line)
    return result


def opening_stock(run: Run, start: date) -> None:
    """Every SKU received into every warehouse, in 100-line receipts on the first day."""
    room, size = run.room, run.profile.lines_per_document
    documents_to_post = [
        (warehouse, room.items[first : first + size])
        for warehouse in room.warehouses
        for first in range(0, len(room.items), size)
    ]
    with run.phase("opening stock (100-line receipts)", len(documents_to_post)) as advance:
        _on_day(run.app, start, run.rng)
        for warehouse, items in documents_to_post:
            _receive(run, warehouse, start, items)
            advance(1)


def history(run: Run, start: date, days: int) -> None:
    """A year of 100-line receipts, issues and transfers until the ledger is big enough."""
    room, rng, size = run.room, run.rng, run.profile.lines_per_document
    target = run.profile.ledger_rows
    rows = documents_posted = 0
    current = None
    with run.phase("history (100-line documents)", target) as advance:
        while rows < target:
            day = start + timedelta(days=min(days - 1, rows * days // target))  # spread evenly
            if day != current:
                _on_day(run.app, day, rng)
                current = day
            warehouse = rng.choice(room.warehouses)
            roll = rng.random()
            if roll < 0.35:
                picked = rng.sample(room.items, min(size, len(room.items)))
                posted = [_receive(run, warehouse, day, picked)]
            else:
                lines = _outgoing_lines(run, warehouse, size)
                if not lines:
                    continue
                data: dict[str, Any] = {
                    "document_type": "issue",
                    "warehouse": warehouse,
                    "business_date": day.isoformat(),
                    "lines": lines,
                }
                destination = None
                if roll >= 0.8:
                    destination = rng.choice([w for w in room.warehouses if w != warehouse])
                    data.update(document_type="transfer", to_warehouse=destination)
                posted = [run.timed(run.post, data)]
                for line in lines:
                    room.take(warehouse, line)
                if destination is not None:
                    posted.append(
                        run.timed(documents.receive, run.app.uow(), ACTOR, posted[0].number)
                    )
                    for line in lines:
                        room.add(destination, line)
            documents_posted += 1
            for result in posted:
                rows += result.entries
                advance(result.entries)
    run.app.clock = _utc_now
    run.results["history_documents"] = documents_posted
    run.results["post_batch_lines_per_s"] = run.batch_lines / run.batch_seconds


def _utc_now() -> datetime:
    return datetime.now(UTC)


def single_documents(run: Run) -> None:
    """1-line receipts, each created and posted in its own transaction."""
    room, rng, today = run.room, run.rng, run.app.today()
    planned: list[tuple[str, dict[str, Any]]] = []
    for _ in range(run.profile.single_documents):
        warehouse = rng.choice(room.warehouses)
        line = _receipt_line(run, rng.choice(room.plain), today, small=True)
        planned.append((warehouse, line))
    with run.phase("single-line receipts", len(planned)) as advance:
        began = time.perf_counter()
        for warehouse, line in planned:
            run.post({"document_type": "receipt", "warehouse": warehouse, "lines": [line]})
            advance(1)
        elapsed = time.perf_counter() - began
    for warehouse, line in planned:
        room.add(warehouse, line)
    run.results["post_single_docs_per_s"] = len(planned) / elapsed


def shipments(run: Run) -> None:
    """Guarded 1-line issues (stock is checked and locked), each in its own transaction."""
    room, rng = run.room, run.rng
    planned: list[tuple[str, dict[str, Any]]] = []
    while len(planned) < run.profile.shipments:
        warehouse, item = rng.choice(room.warehouses), rng.choice(room.plain)
        if room.stock[warehouse][item] > 0:
            line = {"item": item, "quantity": "1"}
            room.take(warehouse, line)
            planned.append((warehouse, line))
    with run.phase("guarded 1-line shipments", len(planned)) as advance:
        began = time.perf_counter()
        for warehouse, line in planned:
            run.post({"document_type": "issue", "warehouse": warehouse, "lines": [line]})
            advance(1)
        elapsed = time.perf_counter() - began
    run.results["post_shipment_docs_per_s"] = len(planned) / elapsed


def on_hand_latency(run: Run) -> None:
    """One item at one warehouse through the query layer, on one reused read connection."""
    room, rng = run.room, run.rng
    pairs = [
        (rng.choice(room.items), rng.choice(room.warehouses))
        for _ in range(run.profile.on_hand_calls)
    ]
    timings: list[int] = []
    levels = []
    with run.phase("on-hand look-ups", len(pairs)) as advance, run.app.reader() as connection:
        stock_levels.on_hand(connection, *pairs[0])  # warm the statement cache
        for item, warehouse in pairs:
            began = time.perf_counter_ns()
            level = stock_levels.on_hand(connection, item, warehouse)
            timings.append(time.perf_counter_ns() - began)
            levels.append(level)
            advance(1)
    wrong = [level for level in levels if level.on_hand != room.stock[level.warehouse][level.item]]
    if wrong:
        first = wrong[0]
        expected = room.stock[first.warehouse][first.item]
        run.failures.append(
            f"on-hand differs from what was posted in {len(wrong)} look-ups, e.g. {first.item} "
            f"at {first.warehouse}: {first.on_hand} instead of {expected}"
        )
    timings.sort()
    run.results["on_hand_p50_ms"] = percentile(timings, 0.50) / 1e6
    run.results["on_hand_p99_ms"] = percentile(timings, 0.99) / 1e6


def warehouse_stock_latency(run: Run) -> None:
    """Every item of the biggest warehouse: the median of several calls."""
    calls = run.profile.warehouse_stock_calls
    timings = []
    with (
        run.phase("warehouse stock lists", len(run.room.warehouses) + calls) as advance,
        run.app.reader() as connection,
    ):
        sizes = {}
        for warehouse in run.room.warehouses:
            sizes[warehouse] = len(stock_levels.warehouse_stock(connection, warehouse))
            advance(1)
        biggest = max(sizes, key=lambda w: sizes[w])
        for _ in range(calls):
            began = time.perf_counter()
            stock_levels.warehouse_stock(connection, biggest)
            timings.append(time.perf_counter() - began)
            advance(1)
    run.results["warehouse_stock_ms"] = statistics.median(timings) * 1000
    run.results["warehouse_stock_items"] = sizes[biggest]


# the race ---------------------------------------------------------------------------------


def _race_worker(
    url: str,
    actor: str,
    warehouse: str,
    limit: int,
    start: Any,
    results: Any,
) -> None:
    """Issue 1 unit of the hot item again and again until the stock runs out."""
    try:
        app = build(Settings(database_url=url))
        with app.reader() as connection:
            stock_levels.on_hand(connection, HOT_ITEM, warehouse)
        data = {
            "document_type": "issue",
            "warehouse": warehouse,
            "lines": [{"item": HOT_ITEM, "quantity": "1"}],
        }
        successes = errors = 0
        refused = False
        start.wait(timeout=300)
        while successes + errors <= limit:
            try:
                documents.create(app.uow(), actor, data, post=True)
                successes += 1
            except InsufficientStock:
                refused = True
                break
            except DomainError:
                errors += 1  # e.g. concurrency.retry_exhausted: counted, the race goes on
        results.put(("done", successes, errors, refused, time.monotonic()))
        app.dispose()
    except BaseException as error:  # the parent must hear of it rather than wait forever
        results.put(("failed", repr(error), 0, False, time.monotonic()))


def race(run: Run, url: str, workers: int) -> None:
    """``workers`` processes issue the same hot item at once; count what got through."""
    units = workers * run.profile.units_per_racer
    warehouse = run.room.warehouses[0]
    run.post(
        {
            "document_type": "receipt",
            "warehouse": warehouse,
            "lines": [{"item": HOT_ITEM, "quantity": str(units), "unit_cost": "10"}],
        }
    )
    racers = [f"racer-{n}" for n in range(1, workers + 1)]
    for racer in racers:  # a clerk of that warehouse each, as in a real shop
        auth.add_user(
            run.app.uow(),
            ACTOR,
            {
                "username": racer,
                "display_name": racer,
                "password": secrets.token_urlsafe(16),
                "grants": [{"role": "warehouse_clerk", "warehouse": warehouse}],
            },
        )
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_race_worker,
            args=(url, racer, warehouse, units + 10, start, results),
            name=f"jxc-bench-{racer}",
        )
        for racer in racers
    ]
    reports: list[tuple[str, Any, int, bool, float]] = []
    with run.phase(f"race: {workers} workers on {units} units", units) as advance:
        for process in processes:
            process.start()
        try:
            start.wait(timeout=300)
        except Exception:
            for process in processes:
                process.kill()
            raise RuntimeError("the race workers did not all start") from None
        began = time.monotonic()
        left = units
        while len(reports) < workers:
            alive = any(process.is_alive() for process in processes)
            try:
                reports.append(results.get(timeout=0.1 if alive else 5))
            except queue.Empty:
                if not alive:
                    raise RuntimeError("a race worker died without reporting") from None
            with run.app.reader() as connection:
                now = int(stock_levels.on_hand(connection, HOT_ITEM, warehouse).on_hand)
            advance(max(0, left - now))
            left = min(left, now)
        for process in processes:
            process.join(timeout=60)
    failed = [report[1] for report in reports if report[0] == "failed"]
    if failed:
        raise RuntimeError(f"race worker failed: {failed[0]}")
    successes = sum(report[1] for report in reports)
    errors = sum(report[2] for report in reports)
    elapsed = max(report[4] for report in reports) - began
    with run.app.reader() as connection:
        left = int(stock_levels.on_hand(connection, HOT_ITEM, warehouse).on_hand)
    oversells = max(0, successes - units) + max(0, -left)
    if left != units - successes:
        run.failures.append(
            f"race: {successes} issues posted from {units} units but {left} are left "
            f"(expected {units - successes})"
        )
    if errors:
        run.failures.append(f"race: {errors} issues failed with an error other than a shortage")
    if not all(report[3] for report in reports):
        run.failures.append("race: a worker stopped before the stock ran out")
    run.results.update(
        race_workers=workers,
        race_units=units,
        race_successes=successes,
        race_errors=errors,
        race_posts_per_s=successes / elapsed if elapsed > 0 else 0.0,
        race_oversells=oversells,
    )


def check_consistency(run: Run, st_t: Callable[..., str]) -> None:
    """`jxc check` over the whole database: every balance recomputed from the ledger."""
    with run.phase("jxc check", 1), run.app.reader() as connection:
        began = time.perf_counter()
        report = consistency.check(connection)
        run.results["check_s"] = time.perf_counter() - began
    run.results["ledger_rows"] = report.ledger_rows
    run.results["balances"] = report.balances
    for problem in report.problems[:20]:
        run.failures.append(f"check: {st_t(problem.code, **problem.params)} ({problem.code})")
    if len(report.problems) > 20:
        run.failures.append(f"check: … {len(report.problems) - 20} more problems")


def verify_audit_trail(run: Run, st_t: Callable[..., str]) -> None:
    """`jxc audit verify` over every event the run recorded: each hash and link recomputed."""
    with run.phase("jxc audit verify", 1), run.app.reader() as connection:
        began = time.perf_counter()
        chain = audit.chain_report(connection)
        run.results["audit_verify_s"] = time.perf_counter() - began
    run.results["audit_events"] = chain.events
    if not chain.ok:
        problem = st_t(f"audit.break.{chain.problem}")
        run.failures.append(
            "audit: " + st_t("label.audit_broken", sequence=chain.broken_at, problem=problem)
        )


def report_timings(run: Run, first_day: date) -> None:
    """进销存汇总表 of the last whole month and 库龄分析, over the history built.

    The summary is timed twice: its opening summed from the whole ledger, then, after the
    months before it are closed (结账, as a business would have), from the latest snapshot.
    Runs last: ``jxc check`` recomputes every snapshot, so the closes would weigh on it.
    """
    today = run.app.today()
    month = Period.of(today.replace(day=1) - timedelta(days=1))
    with run.phase("进销存汇总表 (opening from the ledger)", 1), run.app.reader() as connection:
        began = time.perf_counter()
        found = reports.stock_summary(
            connection, month.first_day, month.last_day, use_snapshots=False
        )
        run.results["stock_summary_ledger_s"] = time.perf_counter() - began
    closing = Period.of(first_day)
    closes = []
    with run.phase("结账 of the months before it", 12) as advance:
        while closing < month:
            began = time.perf_counter()
            periods.close(run.app.uow(), ACTOR, str(closing))
            closes.append(time.perf_counter() - began)
            closing = closing.next()
            advance(1)
    if closes:
        run.results["period_close_s"] = statistics.mean(closes)
    with run.phase("进销存汇总表 (opening from a snapshot)", 1), run.app.reader() as connection:
        began = time.perf_counter()
        snapshotted = reports.stock_summary(connection, month.first_day, month.last_day)
        run.results["stock_summary_s"] = time.perf_counter() - began
    run.results["stock_summary_rows"] = len(snapshotted.rows)
    if snapshotted.rows != found.rows:
        run.failures.append("report: the summary from a snapshot differs from the ledger's")
    with run.phase("库龄分析", 1), run.app.reader() as connection:
        began = time.perf_counter()
        ageing = reports.stock_ageing(connection, today)
        run.results["ageing_s"] = time.perf_counter() - began
    run.results["ageing_rows"] = len(ageing.rows)


def kpi_timing(run: Run) -> None:
    """The KPI dashboard of the last six months: every figure, month by month."""
    today = run.app.today()
    with run.phase("库存 KPI", 1), run.app.reader() as connection:
        began = time.perf_counter()
        kpi.dashboard(connection, kpi_rules.default_start(today), today, today, zone=run.app.zone)
        run.results["kpi_s"] = time.perf_counter() - began


COUNTER, APPROVER = "bench.counter", "bench.manager"
COUNTS_PER_REQUEST = 500  # what a counter's device sends at once


def stocktake_timing(run: Run) -> None:
    """盘点 of a whole warehouse, timed from the first count to the approval.

    Every line is counted (one in 25 found off by one), handed in, those over the tolerance
    recounted by a second person, and approved (盘盈 / 盘亏 posted).
    """
    warehouse = run.room.warehouses[0]
    for username, role in ((COUNTER, "warehouse_clerk"), (APPROVER, "warehouse_manager")):
        auth.add_user(
            run.app.uow(),
            ACTOR,
            {
                "username": username,
                "display_name": username,
                "password": secrets.token_urlsafe(16),
                "grants": [{"role": role, "warehouse": None}],
            },
        )
    number = stocktakes.plan(
        run.app.uow(), APPROVER, {"warehouse": warehouse, "tolerance_percent": "5"}
    ).number
    stocktakes.start(run.app.uow(), APPROVER, number)
    lines = stocktakes.view(run.app.uow(), APPROVER, number).lines
    with run.app.reader() as connection:
        serials = {
            (row.item, row.location): [
                unit.serial
                for unit in stock_levels.serials_in_stock(connection, row.item, warehouse)
                if unit.location == row.location
            ]
            for row in lines
            if run.room.kind.get(row.item) == "serial"
        }
    counts = [
        {
            "item": row.item,
            "location": row.location,
            "batch": row.batch,
            "quantity": str(
                max(
                    (row.line.book_quantity or 0)
                    + (1 if index % 25 == 0 and run.room.kind.get(row.item) != "serial" else 0),
                    0,
                )
            ),
            "serials": serials.get((row.item, row.location), []),
        }
        for index, row in enumerate(lines)
    ]
    with run.phase("盘点 (count, recount, approve)", len(counts)) as advance:
        began = time.perf_counter()
        for first in range(0, len(counts), COUNTS_PER_REQUEST):
            chunk = counts[first : first + COUNTS_PER_REQUEST]
            stocktakes.count(run.app.uow(), COUNTER, number, {"lines": chunk})
            advance(len(chunk))
        stocktakes.hand_in(run.app.uow(), COUNTER, number)
        recounts = [
            {"item": row.item, "location": row.location, "batch": row.batch}
            | {"quantity": str(row.line.counted)}
            | {"serials": serials.get((row.item, row.location), [])}
            for row in stocktakes.view(run.app.uow(), APPROVER, number).lines
            if row.line.needs_recount
        ]
        for first in range(0, len(recounts), COUNTS_PER_REQUEST):
            chunk = recounts[first : first + COUNTS_PER_REQUEST]
            stocktakes.count(run.app.uow(), ACTOR, number, {"lines": chunk})
        stocktakes.approve(run.app.uow(), APPROVER, number)
        elapsed = time.perf_counter() - began
    run.results["stocktake_lines"] = len(counts)
    run.results["stocktake_lines_per_s"] = len(counts) / elapsed if elapsed else 0.0


def peak_rss_mb() -> tuple[float, float]:
    """Peak resident memory of this process and of its largest child (the race workers)."""
    if sys.platform == "win32":  # no getrusage there; the figure is reported as 0
        return 0.0, 0.0
    import resource

    unit = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB elsewhere
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return own * unit / 2**20, children * unit / 2**20


# the command ------------------------------------------------------------------------------


@contextmanager
def scratch_database(database_url: str | None) -> Iterator[tuple[str, str]]:
    """A fresh database for one run, removed afterwards: (engine name, URL)."""
    if database_url is None:
        with tempfile.TemporaryDirectory(prefix="jxc-bench-") as directory:
            yield "sqlite", f"sqlite:///{Path(directory) / 'bench.db'}"
        return
    url = create_database(database_url, f"_{os.getpid()}_{secrets.token_hex(3)}")
    try:
        yield "postgresql", url
    finally:
        drop_database(url)


def register(app: typer.Typer) -> None:
    app.command(
        "bench",
        help="Benchmark posting, queries, check and races on a fresh temporary database.",
    )(bench)


def bench(
    ctx: typer.Context,
    quick: Annotated[
        bool, typer.Option("--quick", help="A small profile that runs in under a minute.")
    ] = False,
    database_url: Annotated[
        str | None,
        typer.Option(
            "--database-url",
            help="A PostgreSQL server (postgresql://…); a fresh database is created and dropped.",
        ),
    ] = None,
    json_path: Annotated[
        Path | None, typer.Option("--json", help="Write the figures to this JSON file.")
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Processes in the race.")
    ] = 8,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same company).")] = 2026,
    http: Annotated[
        bool,
        typer.Option(
            "--http",
            help="Serve the API and drive it over loopback with --clients concurrent clients "
            "instead of the ledger phases.",
        ),
    ] = False,
    clients: Annotated[
        int, typer.Option("--clients", min=1, max=64, help="HTTP clients (--http).")
    ] = 8,
    scale: Annotated[float, typer.Option(hidden=True, min=0.001, max=100)] = 1.0,
) -> None:
    st = state(ctx)
    if database_url is not None and not database_url.startswith(("postgres://", "postgresql")):
        raise typer.BadParameter(st.t("cli.bench_url"), param_hint="--database-url")
    profile = QUICK if quick else DEFAULT
    if scale != 1.0:
        profile = profile.scaled(scale)
    began = time.perf_counter()
    progress = Progress(
        TextColumn("{task.description:<40}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    )
    with scratch_database(database_url) as (engine, url):
        err.print(
            Text.assemble(
                "jxc bench · profile ",
                (profile.name, "bold"),
                f" · {engine} · {profile.warehouses} warehouses, {profile.skus:,} SKUs, "
                f"~{profile.ledger_rows:,} ledger rows of history",
            )
        )
        app = build(Settings(database_url=url))
        run = Run(app, engine, profile, random.Random(seed), progress)
        try:
            upgrade(app)
            auth.create_first_admin(app.uow(), ACTOR, secrets.token_urlsafe(16))
            # The ledger figures are of posting itself: one step per document.
            workflows.use(app.uow(), ACTOR, "simple")
            with progress:
                if http:
                    _run_http_phases(run, url, clients, st.t)
                else:
                    _run_phases(run, url, workers, st.t)
        finally:
            app.dispose()
    own, children = peak_rss_mb()
    run.results.update(
        peak_rss_mb=max(own, children),
        peak_rss_main_mb=own,
        peak_rss_worker_mb=children,
        total_s=time.perf_counter() - began,
    )
    show(run)
    if json_path is not None:
        write_json(run, json_path)
        out.print(f"written: {json_path}")
    if run.failures:
        for failure in run.failures:
            err.print(crossed(failure))
        raise typer.Exit(1)


def _run_phases(run: Run, url: str, workers: int, t: Callable[..., str]) -> None:
    days = 365
    start = run.app.today() - timedelta(days=days)
    build_catalogue(run)
    opening_stock(run, start)
    history(run, start + timedelta(days=1), days - 1)
    single_documents(run)
    shipments(run)
    on_hand_latency(run)
    warehouse_stock_latency(run)
    race(run, url, workers)
    channel_race(run, url)
    check_consistency(run, t)
    verify_audit_trail(run, t)
    report_timings(run, start)
    kpi_timing(run)
    stocktake_timing(run)


def _run_http_phases(run: Run, url: str, clients: int, t: Callable[..., str]) -> None:
    build_catalogue(run)
    opening_stock(run, run.app.today() - timedelta(days=1))
    http_phase(run, url, clients)
    channel_http_race(run, url)
    check_consistency(run, t)
    verify_audit_trail(run, t)


def _shown(metric: str, value: float) -> str:
    if metric.endswith("_per_s"):
        return f"{value:,.0f}"
    if metric.endswith("_ms"):
        return f"{value:,.3f}"
    if metric.endswith(("_s", "_mb")):
        return f"{value:,.2f}"
    return f"{value:,.0f}"


def show(run: Run) -> None:
    grid = Table(
        title=f"jxc bench · {run.profile.name} · {run.engine}",
        header_style="bold",
    )
    grid.add_column("metric")
    grid.add_column("value", justify="right")
    grid.add_column("target", justify="right")
    grid.add_column("", justify="center")
    for metric, label in LABELS.items():
        if metric not in run.results:
            continue
        value = run.results[metric]
        target = TARGETS.get(metric)
        if target is None:
            grid.add_row(label, _shown(metric, value), "", "")
        elif run.engine not in target.engines:
            grid.add_row(label, _shown(metric, value), target.describe(), Text("–", style="dim"))
        else:
            verdict = Text("✓", style="green") if target.met(value) else Text("✗", style="red")
            grid.add_row(label, _shown(metric, value), target.describe(), verdict)
    out.print(grid)


def write_json(run: Run, path: Path) -> None:
    document = {
        "engine": run.engine,
        "profile": run.profile.name,
        "jxc_version": jxc.__version__,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "sizes": {
            "warehouses": run.profile.warehouses,
            "skus": run.profile.skus,
            "ledger_rows_target": run.profile.ledger_rows,
            "single_documents": run.profile.single_documents,
            "shipments": run.profile.shipments,
            "on_hand_calls": run.profile.on_hand_calls,
        },
        "results": run.results,
        "targets_met": {
            metric: target.met(run.results[metric])
            for metric, target in TARGETS.items()
            if metric in run.results and run.engine in target.engines
        },
        "failures": run.failures,
    }
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
