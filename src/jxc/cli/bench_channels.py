"""The channel race: orders from three shops on the same 100 hot items, in three processes.

Each shop (天猫, 京东, 抖店) sells from the same warehouse and approves sales orders of one
unit of a random hot item as fast as it can: approving reserves (预占), so once an item's
units are all reserved every shop is refused it. When every shop has been refused every
item, each item must hold exactly as many reservations as it had units: one more is an
oversell.
"""

from __future__ import annotations

import multiprocessing
import queue
import random
import secrets
import time
from typing import TYPE_CHECKING, Any

from jxc.bootstrap import build
from jxc.config import Settings
from jxc.domain.errors import DomainError, InsufficientStock
from jxc.queries import stock_levels
from jxc.services import auth, catalog, documents, partners

if TYPE_CHECKING:
    from jxc.cli.bench import Run

CHANNELS = ("TMALL", "JD", "DOUYIN")
HOT_ITEMS = 100
UNITS_PER_ITEM = 5
_ACTOR = "bench"


def _shop(url: str, channel: str, actor: str, warehouse: str, start: Any, results: Any) -> None:
    """Approve 1-unit orders of random hot items until every item is refused."""
    try:
        app = build(Settings(database_url=url))
        rng = random.Random(channel)
        wanted = [f"HOT-ITEM-{n:03d}" for n in range(1, HOT_ITEMS + 1)]
        approved = errors = 0
        start.wait(timeout=300)
        while wanted:
            item = rng.choice(wanted)
            order = {
                "document_type": "sales_order",
                "warehouse": warehouse,
                "partner": channel,
                "lines": [{"item": item, "quantity": "1", "unit_price": "9.90"}],
            }
            try:
                documents.create(app.uow(), actor, order, then="approve")
                approved += 1
            except InsufficientStock:
                wanted.remove(item)
            except DomainError:
                errors += 1  # counted: the race goes on
        results.put(("done", approved, errors, time.monotonic()))
        app.dispose()
    except BaseException as error:  # the parent must hear of it rather than wait forever
        results.put(("failed", repr(error), 0, time.monotonic()))


def channel_race(run: Run, url: str) -> None:
    """Three shops' processes order the last units of 100 hot items at once."""
    warehouse = run.room.warehouses[0]
    units = HOT_ITEMS * UNITS_PER_ITEM
    for n in range(1, HOT_ITEMS + 1):
        catalog.add_item(
            run.app.uow(),
            _ACTOR,
            {"code": f"HOT-ITEM-{n:03d}", "name": f"爆款 {n}", "base_unit": "个"},
        )
    run.post(
        {
            "document_type": "receipt",
            "warehouse": warehouse,
            "lines": [
                {"item": f"HOT-ITEM-{n:03d}", "quantity": str(UNITS_PER_ITEM), "unit_cost": "5"}
                for n in range(1, HOT_ITEMS + 1)
            ],
        }
    )
    actors = {}
    for channel in CHANNELS:
        partners.add(
            run.app.uow(),
            _ACTOR,
            {
                "code": channel,
                "name": channel,
                "kind": "channel",
                "channel_kind": "online",
                "warehouses": [warehouse],
            },
        )
        actors[channel] = f"shop-{channel.lower()}"
        auth.add_user(
            run.app.uow(),
            _ACTOR,
            {
                "username": actors[channel],
                "display_name": channel,
                "password": secrets.token_urlsafe(16),
                "grants": [{"role": "sales", "warehouse": warehouse}],
            },
        )
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(CHANNELS) + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_shop,
            args=(url, channel, actors[channel], warehouse, start, results),
            name=f"jxc-bench-{channel}",
        )
        for channel in CHANNELS
    ]
    reports: list[tuple[str, Any, int, float]] = []
    with run.phase(f"channel race: {len(CHANNELS)} shops on {units} units", 1) as advance:
        for process in processes:
            process.start()
        start.wait(timeout=300)
        began = time.monotonic()
        while len(reports) < len(processes):
            alive = any(process.is_alive() for process in processes)
            try:
                reports.append(results.get(timeout=0.5 if alive else 5))
            except queue.Empty:
                if not alive:
                    raise RuntimeError("a shop process died without reporting") from None
        for process in processes:
            process.join(timeout=60)
        advance(1)
    failed = [report[1] for report in reports if report[0] == "failed"]
    if failed:
        raise RuntimeError(f"channel race shop failed: {failed[0]}")
    approved = sum(report[1] for report in reports)
    errors = sum(report[2] for report in reports)
    elapsed = max(report[3] for report in reports) - began
    with run.app.reader() as connection:
        overheld = stock_levels.over_reserved(connection)
    oversells = max(0, approved - units) + int(overheld)
    if approved != units:
        run.failures.append(f"channel race: {approved} orders approved from {units} units")
    if errors:
        run.failures.append(f"channel race: {errors} orders failed other than by a shortage")
    run.results.update(
        channel_orders=approved,
        channel_orders_per_s=approved / elapsed if elapsed > 0 else 0.0,
        channel_oversells=oversells,
    )
