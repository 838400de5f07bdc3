"""`jxc bench --http`: the API served by uvicorn, driven over loopback by concurrent clients.

The server runs in its own process (``python -m uvicorn jxc.asgi:serve_app``) on the
benchmark's scratch database. Each client signs in as a clerk of its own and, one request
at a time, creates and posts 1-line documents (``POST /api/v1/documents?post=true`` with an
``Idempotency-Key``): receipts of ordinary items and issues of one hot item whose stock
runs out near the end of the run, so the last units are raced for over HTTP.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2

from jxc.queries import stock_levels
from jxc.services import auth, catalog

if TYPE_CHECKING:
    from jxc.cli.bench import Run

T = TypeVar("T", int, float)
HTTP_ITEM = "HTTP-0001"
PASSWORD = "bench-http-password"
READY_WITHIN_S = 60.0


@dataclass
class _Tally:
    latencies_ms: list[float] = field(default_factory=list)
    posted: int = 0  # documents created and posted
    hot_posted: int = 0  # of which issues of the hot item
    refused: int = 0  # issues of the hot item refused for want of stock (409)
    unexpected: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class Server:
    base: str  # its address
    pid: int

    def cpu_seconds(self) -> float | None:
        """User and system CPU the server has used so far; None without /proc (not Linux).

        The server's own work, apart from how it and the clients shared the cores.
        """
        try:
            stat = Path(f"/proc/{self.pid}/stat").read_text(encoding="ascii")
        except OSError:
            return None
        fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def served(url: str) -> Iterator[Server]:
    """The API on a free loopback port, in its own process."""
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "jxc.asgi:serve_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    environment = {**os.environ, "JXC_DATABASE_URL": url}
    server = subprocess.Popen(command, env=environment, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_WITHIN_S
        while True:
            if server.poll() is not None:
                raise RuntimeError(
                    f"the API server stopped: {server.stderr.read() if server.stderr else ''}"
                )
            try:
                if httpx2.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx2.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the API server did not become ready")
            time.sleep(0.1)
        yield Server(base, server.pid)
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


def _client(
    base: str,
    user: str,
    plan: list[dict[str, Any]],
    start: threading.Barrier,
    tally: _Tally,
    lock: threading.Lock,
) -> None:
    with httpx2.Client(base_url=base, timeout=60) as client:
        signed = client.post("/api/v1/sessions", json={"username": user, "password": PASSWORD})
        signed.raise_for_status()
        headers = {"Authorization": f"Bearer {signed.json()['token']}"}
        start.wait(timeout=120)
        for body in plan:
            began = time.perf_counter()
            response = client.post(
                "/api/v1/documents",
                params={"post": "true"},
                json=body,
                headers={**headers, "Idempotency-Key": uuid.uuid4().hex},
            )
            elapsed_ms = (time.perf_counter() - began) * 1000
            hot = body["lines"][0]["item"] == HTTP_ITEM
            with lock:
                tally.latencies_ms.append(elapsed_ms)
                if response.status_code == 201:
                    tally.posted += 1
                    tally.hot_posted += hot
                elif (
                    hot
                    and response.status_code == 409
                    and response.json().get("code") == ("stock.insufficient")
                ):
                    tally.refused += 1
                else:
                    tally.unexpected.append(f"{response.status_code} {response.text[:200]}")


def http_phase(run: Run, url: str, clients: int) -> None:
    """``clients`` concurrent API clients creating and posting 1-line documents."""
    warehouse = run.room.warehouses[0]
    per_client = run.profile.http_requests_per_client
    issues = clients * (per_client // 2)
    # The stock runs out just before the last issues: those race for the last units.
    hot_units = max(1, issues - 2 * clients)
    auth_users = [f"http-{n}" for n in range(1, clients + 1)]
    for user in auth_users:
        auth.add_user(
            run.app.uow(),
            "bench",
            {
                "username": user,
                "display_name": user,
                "password": PASSWORD,
                "grants": [{"role": "warehouse_clerk", "warehouse": warehouse}],
            },
        )
    catalog.add_item(
        run.app.uow(), "bench", {"code": HTTP_ITEM, "name": "接口爆款", "base_unit": "个"}
    )
    run.post(
        {
            "document_type": "receipt",
            "warehouse": warehouse,
            "lines": [{"item": HTTP_ITEM, "quantity": str(hot_units), "unit_cost": "10"}],
        }
    )
    plans = [
        [
            {
                "document_type": "issue",
                "warehouse": warehouse,
                "note": "bench",
                "lines": [{"item": HTTP_ITEM, "quantity": "1"}],
            }
            if number % 2
            else {
                "document_type": "receipt",
                "warehouse": warehouse,
                "lines": [
                    {
                        "item": (item := run.rng.choice(run.room.plain)),
                        "quantity": "1",
                        "unit_cost": run.room.cost[item],
                    }
                ],
            }
            for number in range(per_client)
        ]
        for _ in range(clients)
    ]
    tally, lock = _Tally(), threading.Lock()
    start = threading.Barrier(clients + 1)
    with (
        run.phase(f"http: {clients} clients, {clients * per_client} requests", 1),
        served(url) as server,
    ):
        threads = [
            threading.Thread(target=_client, args=(server.base, user, plan, start, tally, lock))
            for user, plan in zip(auth_users, plans, strict=True)
        ]
        for thread in threads:
            thread.start()
        start.wait(timeout=120)
        began, cpu_before = time.perf_counter(), server.cpu_seconds()
        for thread in threads:
            thread.join()
        elapsed, cpu_after = time.perf_counter() - began, server.cpu_seconds()
    with run.app.reader() as connection:
        left = int(stock_levels.on_hand(connection, HTTP_ITEM, warehouse).on_hand)
    ordered = sorted(tally.latencies_ms)
    if not ordered:
        raise RuntimeError("no request was answered")
    run.results.update(
        http_clients=clients,
        http_requests=len(ordered),
        http_posts_per_s=tally.posted / elapsed,
        http_p50_ms=percentile(ordered, 0.50),
        http_p95_ms=percentile(ordered, 0.95),
        http_p99_ms=percentile(ordered, 0.99),
        http_refused=tally.refused,
        http_oversells=max(0, tally.hot_posted - hot_units) + max(0, -left),
    )
    if cpu_before is not None and cpu_after is not None and tally.posted:
        run.results["http_server_cpu_per_post_ms"] = (cpu_after - cpu_before) * 1000 / tally.posted
    if left != hot_units - tally.hot_posted:
        run.failures.append(
            f"http: {tally.hot_posted} issues of {hot_units} units posted but {left} are left"
        )
    for problem in tally.unexpected[:5]:
        run.failures.append(f"http: unexpected answer {problem}")


def percentile(ordered: Sequence[T], share: float) -> T:
    """The value ``share`` of the way up ``ordered`` (nearest rank)."""
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]
