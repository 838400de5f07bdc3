"""Warehouses and locations; virtual locations stand for the outside world.

Every ledger move goes from one location to another, so stock is double-entry. Owned
locations (internal ones and in-transit) keep cached balances; virtual ones (supplier,
customer, inventory loss, scrap, production) are derived from the ledger alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property


class LocationKind(StrEnum):
    INTERNAL = "internal"
    TRANSIT = "transit"
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    INVENTORY_LOSS = "inventory_loss"
    SCRAP = "scrap"
    PRODUCTION = "production"

    @property
    def is_owned(self) -> bool:
        """Stock at owned locations is ours: it has a cached balance and a value."""
        return self in (LocationKind.INTERNAL, LocationKind.TRANSIT)


OWNED_KINDS = tuple(kind.value for kind in LocationKind if kind.is_owned)  # as stored


class LocationUsage(StrEnum):
    RECEIVING = "receiving"
    QC = "qc"
    STORAGE = "storage"
    PICKING = "picking"
    SHIPPING = "shipping"


VIRTUAL_LOCATIONS: dict[str, LocationKind] = {
    "SUPPLIER": LocationKind.SUPPLIER,
    "CUSTOMER": LocationKind.CUSTOMER,
    "INVENTORY-LOSS": LocationKind.INVENTORY_LOSS,
    "SCRAP": LocationKind.SCRAP,
    "PRODUCTION": LocationKind.PRODUCTION,
}
VARIANCE_LOCATION = "INVENTORY-LOSS"  # 库存损益: also takes cost adjustments
DEFAULT_STOCK_LOCATION = "STOCK"
TRANSIT_LOCATION = "TRANSIT"


@dataclass(frozen=True)
class Warehouse:
    id: int
    code: str
    name: str
    allow_negative_stock: bool = False


@dataclass(frozen=True)
class Location:
    id: int
    code: str
    name: str
    kind: LocationKind
    warehouse_id: int | None
    allow_negative_stock: bool = False
    warehouse_code: str | None = None
    held_back: bool = False  # 待检 (QC): goods leave it only where a line names it

    @property
    def label(self) -> str:
        """As people name it: SH01/STOCK (every warehouse has a STOCK), or SUPPLIER."""
        return f"{self.warehouse_code}/{self.code}" if self.warehouse_code else self.code

    @cached_property  # asked for every move of every posting
    def is_owned(self) -> bool:
        return self.kind.is_owned

    @property
    def guards_availability(self) -> bool:
        """Whether available stock here must stay ≥ 0 (invariant 3)."""
        if self.kind is LocationKind.TRANSIT:
            return True
        return self.kind is LocationKind.INTERNAL and not self.allow_negative_stock
