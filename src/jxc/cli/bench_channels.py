"""The channel race: orders from three shops on the same 100 hot items.

Through the services, each shop a process of its own; over the API, each shop a client.

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
import threading
import time
import uuid
from typing import TYPE_CHECKING, Any

import httpx2

from jxc.bootstrap import build
from jxc.cli.bench_http import PASSWORD, served
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


def _shop(
    url: str, channel: str, actor: str, warehouse: str, items: list[str], start: Any, results: Any
) -> None:
    """Approve 1-unit orders of random hot items until every item is refused."""
    try:
        app = build(Settings(database_url=url))
        rng = random.Random(channel)
        wanted = list(items)
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


def _setup(run: Run, prefix: str) -> tuple[list[str], dict[str, str], dict[str, str]]:
    """Hot items in stock, three channels selling from the first warehouse, a user each.

    Returns the items, each channel's partner code and its user.
    """
    warehouse = run.room.warehouses[0]
    items = [f"{prefix}-{n:03d}" for n in range(1, HOT_ITEMS + 1)]
    for item in items:
        catalog.add_item(run.app.uow(), _ACTOR, {"code": item, "name": item, "base_unit": "个"})
    run.post(
        {
            "document_type": "receipt",
            "warehouse": warehouse,
            "lines": [
                {"item": item, "quantity": str(UNITS_PER_ITEM), "unit_cost": "5"} for item in items
            ],
        }
    )
    codes, actors = {}, {}
    for channel in CHANNELS:
        codes[channel] = f"{prefix}-{channel}"
        partners.add(
            run.app.uow(),
            _ACTOR,
            {
                "code": codes[channel],
                "name": channel,
                "kind": "channel",
                "channel_kind": "online",
                "warehouses": [warehouse],
            },
        )
        actors[channel] = f"shop-{prefix}-{channel}".lower()
        auth.add_user(
            run.app.uow(),
            _ACTOR,
            {
                "username": actors[channel],
                "display_name": channel,
                "password": PASSWORD,
                "grants": [{"role": "sales", "warehouse": warehouse}],
            },
        )
    return items, codes, actors


def _oversells(run: Run, approved: int, units: int, what: str) -> int:
    with run.app.reader() as connection:
        overheld = stock_levels.over_reserved(connection)
    if approved != units:
        run.failures.append(f"{what}: {approved} orders approved from {units} units")
    return max(0, approved - units) + int(overheld)


def channel_race(run: Run, url: str) -> None:
    """Three shops' processes order the last units of 100 hot items at once."""
    warehouse = run.room.warehouses[0]
    units = HOT_ITEMS * UNITS_PER_ITEM
    items, codes, actors = _setup(run, "HOT")
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(len(CHANNELS) + 1)
    results = context.Queue()
    processes = [
        context.Process(
            target=_shop,
            args=(url, codes[channel], actors[channel], warehouse, items, start, results),
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
    oversells = _oversells(run, approved, units, "channel race")
    if errors:
        run.failures.append(f"channel race: {errors} orders failed other than by a shortage")
    run.results.update(
        channel_orders=approved,
        channel_orders_per_s=approved / elapsed if elapsed > 0 else 0.0,
        channel_oversells=oversells,
    )


def _http_shop(
    base: str,
    channel: str,
    actor: str,
    warehouse: str,
    items: list[str],
    start: threading.Barrier,
    report: list[tuple[int, list[str]]],
) -> None:
    """A shop's integration over the API: approve 1-unit orders until every item is refused."""
    rng = random.Random(channel)
    wanted, approved, unexpected = list(items), 0, []
    with httpx2.Client(base_url=base, timeout=60) as client:
        signed = client.post("/api/v1/sessions", json={"username": actor, "password": PASSWORD})
        signed.raise_for_status()
        headers = {"Authorization": f"Bearer {signed.json()['token']}"}
        start.wait(timeout=120)
        while wanted:
            item = rng.choice(wanted)
            response = client.post(
                "/api/v1/documents",
                params={"then": "approve"},
                json={
                    "document_type": "sales_order",
                    "warehouse": warehouse,
                    "partner": channel,
                    "lines": [{"item": item, "quantity": "1", "unit_price": "9.90"}],
                },
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            if response.status_code == 201:
                approved += 1
            elif response.status_code == 409 and response.json().get("code") == (
                "stock.insufficient"
            ):
                wanted.remove(item)
            else:
                unexpected.append(f"{response.status_code} {response.text[:200]}")
                if len(unexpected) > 20:
                    break
    report.append((approved, unexpected))


def channel_http_race(run: Run, url: str) -> None:
    """The channel race through the API: three shops' integrations, one client each."""
    warehouse = run.room.warehouses[0]
    units = HOT_ITEMS * UNITS_PER_ITEM
    items, codes, actors = _setup(run, "HTTP-HOT")
    report: list[tuple[int, list[str]]] = []
    start = threading.Barrier(len(CHANNELS) + 1)
    with (
        run.phase(f"channel race over HTTP: {len(CHANNELS)} shops on {units} units", 1),
        served(url) as server,
    ):
        threads = [
            threading.Thread(
                target=_http_shop,
                args=(server.base, codes[c], actors[c], warehouse, items, start, report),
            )
            for c in CHANNELS
        ]
        for thread in threads:
            thread.start()
        start.wait(timeout=120)
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - began
    approved = sum(done for done, _ in report)
    for problem in [p for _, unexpected in report for p in unexpected][:5]:
        run.failures.append(f"channel race over HTTP: unexpected answer {problem}")
    run.results.update(
        http_channel_orders_per_s=approved / elapsed if elapsed > 0 else 0.0,
        http_channel_oversells=_oversells(run, approved, units, "channel race over HTTP"),
    )
