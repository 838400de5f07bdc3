"""The company's settings: one row per name, cached with the master data.

A change bumps the catalog version, so every process reads it again at its next
transaction: a running server follows a new time zone without a restart.
"""

from __future__ import annotations

import functools
from datetime import datetime, tzinfo
from typing import cast

from sqlalchemy import Connection, Table, insert, select, update

from jxc.db import schema as s
from jxc.db.repositories.catalog import CatalogRepository
from jxc.domain.periods import zone_named

_setting = cast(Table, s.CompanySetting.__table__)

TIMEZONE = "timezone"


@functools.cache
def _zone_named(name: str) -> tzinfo | None:
    """The zone ``name`` names, None if none: read once per name (every posting asks)."""
    try:
        return zone_named(name)
    except ValueError:
        return None


class CompanyRepository:
    def __init__(self, connection: Connection, catalog: CatalogRepository) -> None:
        self.connection = connection
        self._catalog = catalog

    def get(self, name: str) -> str | None:
        known = self._catalog.view().settings
        if name not in known:
            known[name] = self.connection.execute(
                select(_setting.c.value).where(_setting.c.name == name)
            ).scalar()
        return known[name]

    def zone(self, fallback: tzinfo) -> tzinfo:
        """The zone kept, else ``fallback``.

        Before one is kept, and if what is kept names none (changed by hand), so that an
        admin can still set a right one.
        """
        kept = self.get(TIMEZONE)
        zone = None if kept is None else _zone_named(kept)
        return fallback if zone is None else zone

    def put(self, name: str, value: str, actor: str, at: datetime) -> None:
        changed = {"value": value, "changed_by": actor, "changed_at": at}
        updated = self.connection.execute(
            update(_setting).where(_setting.c.name == name).values(**changed)
        )
        if not updated.rowcount:
            self.connection.execute(insert(_setting).values(name=name, **changed))
        self._catalog.changed()
