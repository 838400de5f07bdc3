"""Request ids already served, with their results (invariant 5: exactly once)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from jxc.db import schema as s


class RequestRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, request_id: str) -> tuple[str, dict[str, Any]] | None:
        row = self.connection.execute(
            select(s.RequestLog.operation, s.RequestLog.result).where(
                s.RequestLog.request_id == request_id
            )
        ).first()
        return (row.operation, dict(row.result)) if row else None

    def add(self, request_id: str, operation: str, result: dict[str, Any], at: datetime) -> None:
        self.connection.execute(
            insert(s.RequestLog).values(
                request_id=request_id, operation=operation, result=result, created_at=at
            )
        )
