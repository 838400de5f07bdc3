"""The company's settings: one row per name."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Connection, Table, insert, select, update

from jxc.db import schema as s

_setting = cast(Table, s.CompanySetting.__table__)


def setting(connection: Connection, name: str) -> str | None:
    found: str | None = connection.execute(
        select(_setting.c.value).where(_setting.c.name == name)
    ).scalar()
    return found


class CompanyRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def get(self, name: str) -> str | None:
        return setting(self.connection, name)

    def put(self, name: str, value: str, actor: str, at: datetime) -> None:
        changed = {"value": value, "changed_by": actor, "changed_at": at}
        updated = self.connection.execute(
            update(_setting).where(_setting.c.name == name).values(**changed)
        )
        if not updated.rowcount:
            self.connection.execute(insert(_setting).values(name=name, **changed))
