"""Request ids already served, with their results (invariant 5: exactly once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select

from jxc.db import schema as s

# Built once: every write with an Idempotency-Key runs both.
_find = select(s.RequestLog.operation, s.RequestLog.result).where(
    s.RequestLog.request_id == bindparam("request_id")
)
_add = insert(s.RequestLog)


class RequestRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, request_id: str) -> tuple[str, dict[str, Any]] | None:
        row = self.connection.execute(_find, {"request_id": request_id}).first()
        return (row.operation, dict(row.result)) if row else None

    def add(self, request_id: str, operation: str, result: dict[str, Any], at: datetime) -> None:
        self.connection.execute(
            _add,
            {"request_id": request_id, "operation": operation, "result": result, "created_at": at},
        )
