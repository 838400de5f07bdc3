"""Users and their grants as an admin reads them (`jxc user list`)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from jxc.db import schema as s
from jxc.domain.auth import Grant, Role


@dataclass(frozen=True)
class UserRow:
    username: str
    display_name: str
    active: bool
    grants: tuple[Grant, ...]


def users(connection: Connection) -> list[UserRow]:
    people = connection.execute(
        select(s.AppUser.id, s.AppUser.username, s.AppUser.display_name, s.AppUser.active).order_by(
            s.AppUser.username
        )
    ).all()
    grants: dict[int, list[Grant]] = {person.id: [] for person in people}
    for user_id, role, warehouse in connection.execute(
        select(s.UserGrant.user_id, s.UserGrant.role, s.Warehouse.code).outerjoin(
            s.Warehouse, s.Warehouse.id == s.UserGrant.warehouse_id
        )
    ):
        grants[user_id].append(Grant(Role(role), warehouse))
    return [
        UserRow(p.username, p.display_name, p.active, tuple(sorted(grants[p.id]))) for p in people
    ]
