"""Master data: units, items (with conversions and barcodes), warehouses and locations.

Every write takes the acting user (catalog.manage or warehouse.manage permission) and an
optional request id that makes a retry harmless. Creating a warehouse creates its default
stock location and its in-transit location, so every document has somewhere to post.
Initialisation creates the standard units and the virtual locations of the outside
world; running it again changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jxc.db.uow import UnitOfWork
from jxc.domain.audit import SYSTEM_ACTOR, AuditEntry
from jxc.domain.auth import Action
from jxc.domain.barcodes import ScannedCode, read_barcode
from jxc.domain.documents import DocumentType
from jxc.domain.errors import Conflict, ErrorCollector, Invalid, NotFound
from jxc.domain.items import Item, TrackingMode, check_conversion_ratio
from jxc.domain.locations import (
    DEFAULT_STOCK_LOCATION,
    TRANSIT_LOCATION,
    VIRTUAL_LOCATIONS,
    LocationKind,
    LocationUsage,
)
from jxc.domain.prices import RATE_DECIMALS
from jxc.domain.quantities import Unit, decimals_of, parse_decimal
from jxc.services import workflows
from jxc.services.auth import principal, require
from jxc.services.base import (
    WrittenNumber,
    parse,
    reading,
    remember,
    replay,
    told_so_far,
    transactional,
)

Code = Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")


class ItemIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Code
    name: str = Field(min_length=1, max_length=200)
    base_unit: str = Field(min_length=1, max_length=20)
    category: str | None = Field(default=None, max_length=100)
    specification: str | None = Field(default=None, max_length=200)
    tracking: TrackingMode = TrackingMode.NONE
    shelf_life_days: int | None = Field(default=None, ge=1, le=36500)
    units: dict[str, WrittenNumber] = Field(default_factory=dict)  # unit code → base units in one
    barcodes: dict[str, str] = Field(default_factory=dict)  # barcode → unit code


class WarehouseIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    code: str = Field(min_length=1, max_length=32, pattern=r"^\S(.*\S)?$")
    name: str = Field(min_length=1, max_length=100)
    allow_negative_stock: bool = False


class LocationIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    warehouse: str
    code: str = Code
    name: str = Field(min_length=1, max_length=100)
    parent: str | None = None
    usage: LocationUsage = LocationUsage.STORAGE


STANDARD_UNITS = [
    Unit("个", "个", 0),
    Unit("件", "件", 0),
    Unit("箱", "箱", 0),
    Unit("盒", "盒", 0),
    Unit("包", "包", 0),
    Unit("瓶", "瓶", 0),
    Unit("台", "台", 0),
    Unit("套", "套", 0),
    Unit("卷", "卷", 0),
    Unit("桶", "桶", 0),
    Unit("托", "托盘", 0),
    Unit("kg", "千克", 3),
    Unit("g", "克", 1),
    Unit("t", "吨", 6),
    Unit("m", "米", 3),
    Unit("L", "升", 3),
]


@transactional
def initialize(uow: UnitOfWork) -> None:
    """Create the standard units and the virtual locations; already present ones are kept."""
    created: dict[str, list[str]] = {"units": [], "locations": []}
    for unit in STANDARD_UNITS:
        if uow.catalog.unit(unit.code) is None:
            uow.catalog.add_unit(unit)
            created["units"].append(unit.code)
    existing = uow.catalog.locations_by_code(None, VIRTUAL_LOCATIONS)
    for code, kind in VIRTUAL_LOCATIONS.items():
        if code not in existing:
            uow.catalog.add_location(
                {"warehouse_id": None, "code": code, "name": code, "kind": kind.value}
            )
            created["locations"].append(code)
    if created["units"] or created["locations"]:
        uow.record(AuditEntry(SYSTEM_ACTOR, "catalog.initialize", "catalog", "base", created))
    uow.commit()


@transactional
def add_unit(
    uow: UnitOfWork,
    actor: str,
    code: str,
    name: str,
    decimals: int,
    request_id: str | None = None,
) -> Unit:
    """Add a unit of measure.

    Raises:
        Invalid: unit.decimals_out_of_range.
        Conflict: unit.code_taken.
    """
    require(uow, actor, Action.CATALOG_MANAGE)
    payload = {"code": code, "name": name, "decimals": decimals}
    seen = replay(uow, actor, request_id, "catalog.add_unit", payload)
    if seen is not None:
        return Unit(code, name, decimals)
    if not 0 <= decimals <= 6:
        raise Invalid("unit.decimals_out_of_range", {"decimals": decimals})
    if uow.catalog.unit(code) is not None:
        raise Conflict("unit.code_taken", {"unit": code})
    unit = Unit(code, name, decimals)
    uow.catalog.add_unit(unit)
    uow.record(AuditEntry(actor, "unit.add", "unit", code, {"name": name, "decimals": decimals}))
    remember(uow, actor, request_id, "catalog.add_unit", payload, {})
    uow.commit()
    return unit


def _unit_id(
    uow: UnitOfWork, code: str, pointer: str, errors: ErrorCollector
) -> tuple[int, Unit] | None:
    found = uow.catalog.unit(code)
    if found is None:
        errors.add(pointer, "unit.unknown", unit=code)
    return found


@transactional
def add_item(
    uow: UnitOfWork, actor: str, data: ItemIn | dict[str, Any], request_id: str | None = None
) -> Item:
    """Add an item with its base unit, unit conversions and barcodes.

    Raises:
        Invalid: unit.unknown, unit.ratio_not_positive, unit.ratio_too_precise, field errors.
        Conflict: item.code_taken, barcode.taken.
    """
    require(uow, actor, Action.CATALOG_MANAGE)
    try:
        item = parse(ItemIn, data)
    except Invalid as malformed:
        raise _with_catalogue_problems(uow, data, malformed) from None
    payload = item.model_dump(mode="json")
    if replay(uow, actor, request_id, "catalog.add_item", payload) is not None:
        return _item(uow, item.code)
    errors = ErrorCollector()
    if uow.catalog.items_by_code([item.code]):
        raise Conflict("item.code_taken", {"item": item.code})
    base = _unit_id(uow, item.base_unit, "/base_unit", errors)
    conversions: dict[str, tuple[int, Decimal]] = {}
    for code, ratio in item.units.items():
        if code == item.base_unit:  # 1 个 is 1 个: any other ratio contradicts it
            errors.add(f"/units/{code}", "unit.is_base", item=item.code, unit=code)
            continue
        found = _unit_id(uow, code, f"/units/{code}", errors)
        if found is None:
            continue
        try:
            conversions[code] = (found[0], check_conversion_ratio(ratio, found[1]))
        except Invalid as error:
            errors.extend(error, f"/units/{code}")
    for barcode, unit_code in item.barcodes.items():
        if unit_code != item.base_unit and unit_code not in item.units:
            errors.add(
                f"/barcodes/{barcode}",
                "unit.not_convertible",
                item=item.code,
                unit=unit_code,
                units=", ".join([item.base_unit, *item.units]),
            )
        owner = uow.catalog.barcode_owner(barcode)
        if owner is not None:
            errors.add(f"/barcodes/{barcode}", "barcode.taken", barcode=barcode, item=owner)
    errors.raise_if_any()
    assert base is not None
    item_id = uow.catalog.add_item(
        {
            "code": item.code,
            "name": item.name,
            "category": item.category,
            "specification": item.specification,
            "base_unit_id": base[0],
            "tracking": item.tracking.value,
            "shelf_life_days": item.shelf_life_days,
            "created_at": uow.clock(),
        }
    )
    for unit_id, ratio in conversions.values():
        uow.catalog.set_item_unit(item_id, unit_id, ratio)
    for barcode, unit_code in item.barcodes.items():
        unit_id = base[0] if unit_code == item.base_unit else conversions[unit_code][0]
        uow.catalog.add_barcode(item_id, barcode, unit_id)
    created = uow.catalog.items_by_code([item.code])[item.code]
    uow.record(AuditEntry(actor, "item.add", "item", item.code, payload))
    remember(uow, actor, request_id, "catalog.add_item", payload, {})
    uow.commit()
    return created


def _with_catalogue_problems(uow: UnitOfWork, data: Any, malformed: Invalid) -> Invalid:
    """``malformed`` plus the taken code, unknown units and taken barcodes the raw data names."""
    raw = data if isinstance(data, dict) else {}
    errors, told = told_so_far(malformed)
    code = raw.get("code")
    if isinstance(code, str) and "/code" not in told and uow.catalog.items_by_code([code]):
        errors.add("/code", "item.code_taken", item=code)
    units = raw.get("units")
    named_units = [("/base_unit", raw.get("base_unit"))] + [
        (f"/units/{unit}", unit) for unit in (units if isinstance(units, dict) else {})
    ]
    for pointer, unit in named_units:
        if isinstance(unit, str) and unit and pointer not in told:
            _unit_id(uow, unit, pointer, errors)
    barcodes = raw.get("barcodes")
    for barcode in barcodes if isinstance(barcodes, dict) else {}:
        pointer = f"/barcodes/{barcode}"
        owner = uow.catalog.barcode_owner(barcode) if pointer not in told else None
        if owner is not None:
            errors.add(pointer, "barcode.taken", barcode=barcode, item=owner)
    return errors.error() or malformed


def _item(uow: UnitOfWork, code: str) -> Item:
    found = uow.catalog.items_by_code([code]).get(code)
    if found is None:
        raise NotFound("item.unknown", {"item": code})
    return found


@transactional
def add_unit_conversion(
    uow: UnitOfWork,
    actor: str,
    item_code: str,
    unit_code: str,
    ratio: Decimal,
    request_id: str | None = None,
) -> Item:
    """Let an item be counted in another unit (1 箱 = 12 个).

    Raises:
        NotFound: item.unknown, unit.unknown.
        Invalid: unit.ratio_not_positive, unit.ratio_too_precise, unit.is_base.
        Conflict: unit.ratio_in_use (the item has stock history; the ratio cannot change),
            unit.ratio_on_documents (a document not voided or archived counts the item in
            that unit: its lines would say other than what they mean).
    """
    require(uow, actor, Action.CATALOG_MANAGE)
    payload = {"item": item_code, "unit": unit_code, "ratio": str(ratio)}
    if replay(uow, actor, request_id, "catalog.add_unit_conversion", payload) is not None:
        return _item(uow, item_code)
    item = _item(uow, item_code)
    found = uow.catalog.unit(unit_code)
    if found is None:
        raise NotFound("unit.unknown", {"unit": unit_code})
    if unit_code == item.base_unit.code:
        raise Invalid("unit.is_base", {"item": item.code, "unit": unit_code})
    check_conversion_ratio(ratio, found[1])
    current = item.conversions.get(unit_code)
    if current is not None and current[1] != ratio:
        if uow.catalog.has_stock_history(item.id):
            raise Conflict("unit.ratio_in_use", {"item": item.code, "unit": unit_code})
        counting = next(
            (
                number
                for number, kind, state in uow.catalog.documents_counting_in(item.id, found[0])
                # a voided one counts no more (a state an older workflow had: it may)
                if not getattr(workflows.definition(uow, kind).states.get(state), "final", False)
            ),
            None,
        )
        if counting is not None:
            raise Conflict(
                "unit.ratio_on_documents",
                {"item": item.code, "unit": unit_code, "number": counting},
            )
    uow.catalog.set_item_unit(item.id, found[0], ratio)
    updated = _item(uow, item_code)
    uow.record(
        AuditEntry(
            actor,
            "item.set_unit",
            "item",
            item.code,
            {"unit": unit_code, "ratio": ratio, "was": current[1] if current else None},
        )
    )
    remember(uow, actor, request_id, "catalog.add_unit_conversion", payload, {})
    uow.commit()
    return updated


@transactional
def add_barcode(
    uow: UnitOfWork,
    actor: str,
    item_code: str,
    barcode: str,
    unit_code: str | None = None,
    request_id: str | None = None,
) -> None:
    """Give an item another barcode, for its base unit or one of its other units.

    Raises:
        NotFound: item.unknown.
        Invalid: unit.not_convertible.
        Conflict: barcode.taken.
    """
    require(uow, actor, Action.CATALOG_MANAGE)
    payload = {"item": item_code, "barcode": barcode, "unit": unit_code}
    if replay(uow, actor, request_id, "catalog.add_barcode", payload) is not None:
        return
    item = _item(uow, item_code)
    unit, _ = item.unit_named(unit_code)
    owner = uow.catalog.barcode_owner(barcode)
    if owner is not None:
        raise Conflict("barcode.taken", {"barcode": barcode, "item": owner})
    found = uow.catalog.unit(unit.code)
    assert found is not None
    uow.catalog.add_barcode(item.id, barcode, found[0])
    uow.record(
        AuditEntry(
            actor, "item.add_barcode", "item", item.code, {"barcode": barcode, "unit": unit.code}
        )
    )
    remember(uow, actor, request_id, "catalog.add_barcode", payload, {})
    uow.commit()


@transactional
def set_tolerance(
    uow: UnitOfWork,
    actor: str,
    item_code: str,
    percent: Decimal | str,
    request_id: str | None = None,
) -> None:
    """超订单入库: how far over its purchase order an item may be received, in percent.

    Raises:
        NotFound: item.unknown.
        Invalid: tolerance.out_of_range (0–100, at most 2 decimals).
    """
    require(uow, actor, Action.CATALOG_MANAGE)
    value = parse_decimal(percent)
    if not Decimal(0) <= value <= Decimal(100) or decimals_of(value) > RATE_DECIMALS:
        raise Invalid("tolerance.out_of_range", {"value": str(percent)})
    payload = {"item": item_code, "percent": str(value)}
    if replay(uow, actor, request_id, "catalog.set_tolerance", payload) is not None:
        return
    item = _item(uow, item_code)
    uow.orders.set_tolerance(item.id, value)
    uow.record(AuditEntry(actor, "item.set_tolerance", "item", item.code, {"percent": str(value)}))
    remember(uow, actor, request_id, "catalog.set_tolerance", payload, {})
    uow.commit()


@transactional
def add_warehouse(
    uow: UnitOfWork,
    actor: str,
    data: WarehouseIn | dict[str, Any],
    request_id: str | None = None,
) -> int:
    """Add a warehouse with its default stock location (STOCK) and in-transit location.

    Raises:
        Conflict: warehouse.code_taken.
    """
    require(uow, actor, Action.WAREHOUSE_MANAGE)
    warehouse = parse(WarehouseIn, data)
    payload = warehouse.model_dump(mode="json")
    seen = replay(uow, actor, request_id, "catalog.add_warehouse", payload)
    if seen is not None:
        return int(seen["id"])
    if uow.catalog.warehouses_by_code([warehouse.code]):
        raise Conflict("warehouse.code_taken", {"warehouse": warehouse.code})
    warehouse_id = uow.catalog.add_warehouse(
        warehouse.code, warehouse.name, warehouse.allow_negative_stock, uow.clock()
    )
    uow.catalog.add_location(
        {
            "warehouse_id": warehouse_id,
            "code": DEFAULT_STOCK_LOCATION,
            "name": "库存",
            "kind": LocationKind.INTERNAL.value,
            "usage": LocationUsage.STORAGE.value,
            "is_default": True,
        }
    )
    uow.catalog.add_location(
        {
            "warehouse_id": warehouse_id,
            "code": TRANSIT_LOCATION,
            "name": "在途",
            "kind": LocationKind.TRANSIT.value,
        }
    )
    uow.record(AuditEntry(actor, "warehouse.add", "warehouse", warehouse.code, payload))
    remember(uow, actor, request_id, "catalog.add_warehouse", payload, {"id": warehouse_id})
    uow.commit()
    return warehouse_id


def _warehouse_id(uow: UnitOfWork, code: str) -> int:
    found = uow.catalog.warehouses_by_code([code]).get(code)
    if found is None:
        raise NotFound("warehouse.unknown", {"warehouse": code})
    return found.id


@transactional
def set_negative_stock(
    uow: UnitOfWork, actor: str, warehouse_code: str, allow: bool, request_id: str | None = None
) -> None:
    """Allow or forbid negative available stock in a warehouse (forbidden by default).

    Raises:
        NotFound: warehouse.unknown.
    """
    require(uow, actor, Action.WAREHOUSE_MANAGE, warehouses=[warehouse_code])
    payload = {"warehouse": warehouse_code, "allow": allow}
    if replay(uow, actor, request_id, "catalog.set_negative_stock", payload) is not None:
        return
    uow.catalog.set_allow_negative(_warehouse_id(uow, warehouse_code), allow)
    uow.record(
        AuditEntry(
            actor,
            "warehouse.set_negative_stock",
            "warehouse",
            warehouse_code,
            {"allow_negative_stock": allow},
        )
    )
    remember(uow, actor, request_id, "catalog.set_negative_stock", payload, {})
    uow.commit()


@transactional
def add_location(
    uow: UnitOfWork,
    actor: str,
    data: LocationIn | dict[str, Any],
    request_id: str | None = None,
) -> int:
    """Add a storage location (库位) to a warehouse, under a parent location.

    Raises:
        NotFound: warehouse.unknown, location.unknown (parent).
        Conflict: location.code_taken.
    """
    location = parse(LocationIn, data)
    require(uow, actor, Action.WAREHOUSE_MANAGE, warehouses=[location.warehouse])
    payload = location.model_dump(mode="json")
    seen = replay(uow, actor, request_id, "catalog.add_location", payload)
    if seen is not None:
        return int(seen["id"])
    warehouse_id = _warehouse_id(uow, location.warehouse)
    parent_code = location.parent or DEFAULT_STOCK_LOCATION
    found = uow.catalog.locations_by_code(warehouse_id, [location.code, parent_code])
    if location.code in found:
        raise Conflict(
            "location.code_taken", {"location": location.code, "warehouse": location.warehouse}
        )
    parent = found.get(parent_code)
    if parent is None or parent.kind is not LocationKind.INTERNAL:
        raise NotFound(
            "location.unknown", {"location": parent_code, "warehouse": location.warehouse}
        )
    location_id = uow.catalog.add_location(
        {
            "warehouse_id": warehouse_id,
            "parent_id": parent.id,
            "code": location.code,
            "name": location.name,
            "kind": LocationKind.INTERNAL.value,
            "usage": location.usage.value,
        }
    )
    uow.record(
        AuditEntry(
            actor,
            "location.add",
            "location",
            f"{location.warehouse}/{location.code}",
            payload,
        )
    )
    remember(uow, actor, request_id, "catalog.add_location", payload, {"id": location_id})
    uow.commit()
    return location_id


@dataclass(frozen=True)
class Scanned:
    """What one scan adds to a document line: the item, its unit and what the code carried."""

    item: str
    item_name: str
    unit: str
    quantity: Decimal
    batch: str | None
    expiry_date: date | None
    serial: str | None
    batched: bool = False  # the item is batch-tracked: a batch may be typed beside the scan


def _item_of_serial(uow: UnitOfWork, code: ScannedCode) -> tuple[Item, str] | None:
    """The item whose serial a plain code is (as typed, else upper-cased), and the serial.

    Only where exactly one item has it.
    """
    if code.serial is not None or code.batch is not None:
        return None
    typed = code.codes[0]
    for serial in dict.fromkeys((typed, typed.upper())):
        items = uow.catalog.items_with_serial(serial)
        if len(items) == 1:
            return uow.catalog.items_by_id(items)[items[0]], serial
    return None


@dataclass(frozen=True)
class Beside:
    """What is typed beside a scan for what its code does not carry.

    A batch and its expiry date, a new unit's serial: for an item code, or a barcode of
    the item alone.
    """

    batch: str | None = None
    expiry_date: date | None = None
    serial: str | None = None


@reading
def scan(
    uow: UnitOfWork,
    actor: str,
    barcode: str,
    document_type: DocumentType = DocumentType.RECEIPT,
    beside: Beside = Beside(),
) -> Scanned:
    """Read a scanned code for a line of ``document_type``.

    ``beside``: what was typed beside the scan, for what the code does not carry.

    The code is a barcode, an item code typed in (in any case), or the serial number of
    a unit JXC knows (a label with the serial alone). A GS1 code may carry the batch,
    the expiry date, the serial and a count. A batch is needed where stock comes in;
    going out, a batch-tracked item without one is picked by FEFO.

    Raises:
        Invalid: barcode.empty, barcode.too_long, barcode.gs1_invalid, batch.required (a
            batch-tracked item scanned without its batch), batch.not_tracked,
            scan.serial_needed (a serial-tracked item's code without its serial),
            serial.not_tracked.
        NotFound: barcode.unknown.
    """
    principal(uow, actor)
    code = read_barcode(barcode)
    for candidate in code.codes:
        found = uow.catalog.item_by_barcode(candidate)
        if found is not None:
            item, unit = found
            break
    else:
        typed_codes = [*code.codes, *(c.upper() for c in code.codes if c.upper() != c)]
        by_code = uow.catalog.items_by_code(typed_codes)
        typed = next((by_code[c] for c in typed_codes if c in by_code), None)
        if typed is None:
            of_serial = _item_of_serial(uow, code)
            if of_serial is None:
                raise NotFound("barcode.unknown", {"barcode": barcode.strip()})
            typed, serial = of_serial
            code = replace(code, serial=serial)
        item, unit = typed, typed.base_unit.code
    if beside.expiry_date and not beside.batch and code.batch is None:
        raise Invalid("batch.dates_without_batch", {})
    if beside.batch and code.batch is None:
        code = replace(code, batch=beside.batch)
    if beside.expiry_date and code.expiry_date is None:  # a label with its batch, no expiry
        code = replace(code, expiry_date=beside.expiry_date)
    if beside.serial and code.serial is None:
        code = replace(code, serial=beside.serial)
    batched, serialized = item.tracking is TrackingMode.BATCH, item.tracking is TrackingMode.SERIAL
    # A sales return's batch is the one its delivery line shipped, unless it shipped several.
    batch_needed = document_type.brings_stock_in and document_type is not DocumentType.SALES_RETURN
    if batched and code.batch is None and batch_needed:
        raise Invalid("batch.required", {"item": item.code})
    if not batched and code.batch is not None:
        raise Invalid("batch.not_tracked", {"item": item.code})
    if document_type.is_order:  # an order is for goods, not yet for units
        code = replace(code, serial=None)
    elif serialized != (code.serial is not None):
        raise Invalid(
            "scan.serial_needed" if serialized else "serial.not_tracked", {"item": item.code}
        )
    return Scanned(
        item=item.code,
        item_name=item.name,
        unit=unit,
        quantity=code.quantity or Decimal(1),
        batch=code.batch,
        expiry_date=code.expiry_date,
        serial=code.serial,
        batched=batched,
    )
