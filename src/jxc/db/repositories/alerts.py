"""Refused oversell attempts (拒绝超卖) and the episodes of published alerts.

A refusal is appended once per short line; a request id and the line's position keep a
replayed request from being recorded twice. An alert episode row says whether an alert
was open at the last publish and how many times it has begun.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Connection, Table, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from jxc.db import schema as s

_refusal = cast(Table, s.StockRefusal.__table__)
_episode = cast(Table, s.AlertEpisode.__table__)


class RefusalRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def add(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Append refused lines; one a replayed request already recorded is skipped."""
        if not rows:
            return
        builder = (
            postgresql_insert if self.connection.dialect.name == "postgresql" else sqlite_insert
        )
        self.connection.execute(
            builder(_refusal).on_conflict_do_nothing(index_elements=["request_id", "position"]),
            list(rows),
        )


class EpisodeRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def known(self) -> dict[str, tuple[int, bool]]:
        """Alert key → (its latest episode, whether that episode is still open)."""
        found = self.connection.execute(select(_episode.c.key, _episode.c.episode, _episode.c.open))
        return {row.key: (row.episode, row.open) for row in found}

    def open(self, episodes: Mapping[str, int], known: Iterable[str], now: datetime) -> None:
        """Open each alert's new ``episodes`` (a key in ``known`` has a row already)."""
        seen = set(known)
        fresh = [
            {"key": key, "episode": episode, "open": True, "changed_at": now}
            for key, episode in episodes.items()
            if key not in seen
        ]
        if fresh:
            self.connection.execute(insert(_episode), fresh)
        for key, episode in episodes.items():
            if key in seen:
                self.connection.execute(
                    update(_episode)
                    .where(_episode.c.key == key)
                    .values(episode=episode, open=True, changed_at=now)
                )

    def close(self, keys: Iterable[str], now: datetime) -> None:
        wanted = sorted(keys)
        if wanted:
            self.connection.execute(
                update(_episode)
                .where(_episode.c.key.in_(wanted))
                .values(open=False, changed_at=now)
            )
