"""How fast could 100-line documents post if JXC's own Python cost nothing?

Builds the benchmark's company (catalogue, opening stock) on a temporary SQLite file,
copies it, then posts the benchmark's history of 100-line receipts, issues and transfers
through the services while recording every SQL statement and its parameters as the
driver received them. The same statements are then replayed, transaction by
transaction, on the copy with the bare ``sqlite3`` driver and the same PRAGMAs: what
remains is the database's own work (B-tree updates, foreign-key checks, WAL writes and
checkpoints). Prints both rates and the replay's time per statement kind.

    python tools/posting_floor.py [LEDGER_ROWS]      # default 150000
"""

from __future__ import annotations

import random
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress
from sqlalchemy import event

from jxc.bootstrap import build, upgrade
from jxc.cli import bench
from jxc.config import Settings
from jxc.services import auth, workflows

Statement = tuple[str, Any, bool]  # SQL, parameters, executemany


def main(ledger_rows: int) -> None:
    profile = bench.Profile(**{**vars(bench.DEFAULT), "ledger_rows": ledger_rows})
    quiet = Progress(console=Console(file=open("/dev/null", "w")))  # noqa: SIM115
    with tempfile.TemporaryDirectory(prefix="jxc-floor-") as directory:
        database, copy = Path(directory) / "bench.db", Path(directory) / "before.db"
        app = build(Settings(database_url=f"sqlite:///{database}"))
        upgrade(app)
        auth.create_first_admin(app.uow(), bench.ACTOR, secrets.token_urlsafe(16))
        workflows.use(app.uow(), bench.ACTOR, "simple")
        run = bench.Run(app, "sqlite", profile, random.Random(2026), quiet)
        start = app.today() - timedelta(days=365)
        bench.build_catalogue(run)
        bench.opening_stock(run, start)
        app.dispose()
        with sqlite3.connect(database) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copy(database, copy)

        app = build(Settings(database_url=f"sqlite:///{database}"))
        run.app = app
        transactions = record(run, start)
        app.dispose()
        service_rate = run.batch_lines / run.batch_seconds
        replayed, by_kind = replay(copy, transactions)

    out = Console(highlight=False, width=120)
    out.print(f"{run.batch_lines:,} lines in {len(transactions):,} transactions")
    out.print(f"through the services (recording):  {service_rate:10,.0f} lines/s")
    out.print(f"their SQL alone, bare sqlite3:      {run.batch_lines / replayed:10,.0f} lines/s")
    for kind, seconds in sorted(by_kind.items(), key=lambda item: -item[1])[:10]:
        out.print(f"  {seconds:6.2f} s  {kind}", markup=False)


def record(run: bench.Run, start: Any) -> list[list[Statement]]:
    transactions: list[list[Statement]] = []
    recording = False

    @event.listens_for(run.app.engine, "before_cursor_execute")
    def keep(
        _connection: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, many: bool
    ) -> None:
        if not recording:
            return
        if sql.startswith("BEGIN"):
            transactions.append([])
        transactions[-1].append((sql, list(parameters) if many else parameters, many))

    timed = run.timed

    def recorded(step: Any, *args: Any) -> Any:
        nonlocal recording
        recording = True
        try:
            return timed(step, *args)
        finally:
            recording = False

    run.timed = recorded
    run.batch_lines, run.batch_seconds = 0, 0.0
    bench.history(run, start + timedelta(days=1), 364)
    return transactions


def replay(database: Path, transactions: list[list[Statement]]) -> tuple[float, dict[str, float]]:
    connection = sqlite3.connect(database, isolation_level=None)
    for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
        connection.execute(f"PRAGMA {pragma}")
    connection.execute("PRAGMA wal_autocheckpoint=10000")  # as jxc.db.engine sets it
    by_kind: dict[str, float] = defaultdict(float)
    began = time.perf_counter()
    for statements in transactions:
        for sql, parameters, many in statements:
            at = time.perf_counter()
            if many:
                connection.executemany(sql, parameters)
            else:
                connection.execute(sql, parameters or ()).fetchall()
            by_kind[" ".join(sql.split())[:80]] += time.perf_counter() - at
        at = time.perf_counter()
        connection.execute("COMMIT")
        by_kind["COMMIT"] += time.perf_counter() - at
    elapsed = time.perf_counter() - began
    connection.close()
    return elapsed, by_kind


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 150_000)
