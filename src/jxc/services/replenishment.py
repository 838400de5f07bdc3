"""Stock levels, 库存预警 to the outbox, and 补货建议 accepted as draft documents (自动补货).

Setting levels is a warehouse manager's decision, audited. Alerts are written to the
outbox once each time they begin, however often ``publish_alerts`` runs: an alert that
clears and comes back is published again. Accepting suggestions
makes every draft (one transfer per source warehouse, one purchase order per supplier) in
one transaction; what they order counts as on its way at once, so a second accept orders
only what is still missing, and a replayed request id returns the first result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.auth import Action
from jxc.domain.errors import Conflict, ErrorCollector, NotFound
from jxc.domain.replenishment import (
    DEFAULT_USAGE_DAYS,
    MAX_ALERT_KEY,
    MAX_USAGE_DAYS,
    Levels,
    Source,
    alert_episodes,
    check_levels,
    choose_sources,
    episode_key,
    group_by_source,
)
from jxc.queries import replenishment as queries
from jxc.queries import reports
from jxc.services import documents
from jxc.services.auth import principal, require
from jxc.services.base import WrittenNumber, parse, reading, remember, replay, transactional


class LevelsIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    item: str = Field(min_length=1, max_length=64)
    warehouse: str = Field(min_length=1, max_length=32)
    safety_stock: WrittenNumber = Decimal(0)
    reorder_point: WrittenNumber
    max_quantity: WrittenNumber


class AcceptIn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    warehouse: str = Field(min_length=1, max_length=32)
    items: tuple[str, ...] = Field(default=(), max_length=1000)  # none: every suggestion
    supplier: str | None = Field(default=None, min_length=1, max_length=32)  # overrides
    usage_days: int = Field(default=DEFAULT_USAGE_DAYS, ge=1, le=MAX_USAGE_DAYS)


@dataclass(frozen=True)
class LevelsResult:
    item: str
    warehouse: str
    safety_stock: Decimal
    reorder_point: Decimal
    max_quantity: Decimal


@dataclass(frozen=True)
class SuggestionSource:
    quantity: Decimal
    warehouse: str | None  # 调拨 from it; None: buy
    supplier: str | None  # the supplier bought from (None: none known, choose one)


@dataclass(frozen=True)
class Suggestion:
    """补货建议 for one item of a warehouse."""

    item: str
    item_name: str
    unit: str
    safety_stock: Decimal
    reorder_point: Decimal
    max_quantity: Decimal
    on_hand: Decimal
    reserved: Decimal
    on_order: Decimal
    average_daily_usage: Decimal
    quantity: Decimal
    unit_cost: Decimal | None
    sources: tuple[SuggestionSource, ...] = field(default=())


@dataclass(frozen=True)
class Accepted:
    warehouse: str
    documents: list[str]
    lines: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ids(uow: UnitOfWork, item: str, warehouse: str) -> tuple[int, int]:
    errors = ErrorCollector()
    found_warehouse = uow.catalog.warehouses_by_code([warehouse]).get(warehouse)
    if found_warehouse is None:
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    found_item = uow.catalog.items_by_code([item]).get(item)
    if found_item is None:
        errors.add("/item", "item.unknown", item=item)
    errors.raise_if_any()
    assert found_item is not None
    return found_item.id, found_warehouse.id


def _levels_result(seen: dict[str, Any]) -> LevelsResult:
    return LevelsResult(
        seen["item"],
        seen["warehouse"],
        Decimal(seen["safety_stock"]),
        Decimal(seen["reorder_point"]),
        Decimal(seen["max_quantity"]),
    )


@transactional
def set_levels(
    uow: UnitOfWork, actor: str, data: LevelsIn | dict[str, Any], request_id: str | None = None
) -> LevelsResult:
    """Set an item's 安全库存, 再订货点 and 最高库存 in a warehouse (base unit).

    Raises:
        Invalid: input.invalid, item.unknown, level.negative, level.too_large,
            level.too_precise, level.reorder_below_safety,
            level.max_below_reorder (each naming its field).
        NotFound: warehouse.unknown.
        Forbidden: auth.forbidden_in_warehouse.
    """
    wanted = parse(LevelsIn, data)
    payload = wanted.model_dump(mode="json")
    seen = replay(uow, actor, request_id, "replenishment.set_levels", payload)
    if seen is not None:
        return _levels_result(seen)
    item_id, warehouse_id = _ids(uow, wanted.item, wanted.warehouse)
    require(uow, actor, Action.WAREHOUSE_MANAGE, warehouses=[wanted.warehouse])
    levels = Levels(wanted.safety_stock, wanted.reorder_point, wanted.max_quantity)
    check_levels(levels)
    before = uow.levels.get(item_id, warehouse_id)
    uow.levels.put(item_id, warehouse_id, levels, actor, uow.clock())
    uow.record(
        AuditEntry(
            actor,
            "stock_level.set",
            "stock_level",
            f"{wanted.warehouse}/{wanted.item}",
            {
                **payload,
                "before": None
                if before is None
                else {k: str(v) for k, v in asdict(before).items()},
            },
        )
    )
    result = LevelsResult(wanted.item, wanted.warehouse, *asdict(levels).values())
    remember(
        uow,
        actor,
        request_id,
        "replenishment.set_levels",
        payload,
        {key: str(value) for key, value in asdict(result).items()},
    )
    uow.commit()
    return result


@transactional
def clear_levels(uow: UnitOfWork, actor: str, item: str, warehouse: str) -> bool:
    """Stop watching an item in a warehouse; False if it had no levels.

    Raises:
        Invalid: item.unknown. NotFound: warehouse.unknown. Forbidden: auth.forbidden_in_warehouse.
    """
    item_id, warehouse_id = _ids(uow, item, warehouse)
    require(uow, actor, Action.WAREHOUSE_MANAGE, warehouses=[warehouse])
    removed = uow.levels.remove(item_id, warehouse_id)
    if removed:
        uow.record(AuditEntry(actor, "stock_level.clear", "stock_level", f"{warehouse}/{item}", {}))
        uow.commit()
    return removed


@reading
def level_rows(uow: UnitOfWork, actor: str, warehouse: str | None = None) -> list[queries.LevelRow]:
    """The levels set (in ``warehouse``) that the actor may see, with the stock they watch.

    Raises:
        NotFound: warehouse.unknown.
    """
    if warehouse is not None:
        _visible_warehouse(uow, actor, warehouse)
    visible = principal(uow, actor).visible_warehouses
    return queries.levels(uow.connection, warehouse, visible)


# 库存预警 ------------------------------------------------------------------------------------


@reading
def alerts(
    uow: UnitOfWork,
    actor: str,
    warehouse: str | None = None,
    expiry_days: int = reports.DEFAULT_EXPIRY_DAYS,
    check: bool = False,
) -> list[queries.AlertRow]:
    """Every current 预警 the actor may see (``check``: with what ``jxc check`` finds).

    Raises:
        Invalid: report.days_invalid. NotFound: warehouse.unknown.
    """
    visible = principal(uow, actor).visible_warehouses
    if warehouse is not None and (
        (visible is not None and warehouse not in visible)
        or not uow.catalog.warehouses_by_code([warehouse])
    ):
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})
    return queries.alerts(
        uow.connection, uow.today(), expiry_days, warehouse, visible, check, uow.zone
    )


@transactional
def publish_alerts(
    uow: UnitOfWork,
    actor: str,
    expiry_days: int = reports.DEFAULT_EXPIRY_DAYS,
    check: bool = True,
) -> int:
    """Write each alert that began since the last run to the outbox (topic ``stock.alert``).

    Run it as often as you like (cron): an alert still open is not written again, one that
    cleared and came back is (its outbox key ends in ``#`` and its episode). Returns how
    many alerts were new.

    Raises:
        Unauthenticated: auth.unknown_user.
    """
    principal(uow, actor)
    now = uow.clock()
    found = {
        f"stock.alert:{row.key}"[:MAX_ALERT_KEY]: row
        for row in queries.alerts(
            uow.connection, uow.today(), expiry_days, check=check, zone=uow.zone
        )
    }
    known = uow.episodes.known()
    begun, cleared = alert_episodes(found, known)
    if not check:  # not looked for this time: what jxc check found is not known to be gone
        cleared = {key for key in cleared if not key.startswith("stock.alert:mismatch:")}
    uow.episodes.open(begun, known, now)
    uow.episodes.close(cleared, now)
    written = uow.outbox.add(
        [
            {
                "topic": "stock.alert",
                "key": episode_key(key, episode),
                "payload": {
                    **{
                        name: str(value) if isinstance(value, Decimal | date) else value
                        for name, value in asdict(found[key]).items()
                    },
                    "episode": episode,
                },
                "created_at": now,
            }
            for key, episode in sorted(begun.items())
        ]
    )
    uow.commit()
    return written


# 补货建议 ------------------------------------------------------------------------------------


def _suggestions(
    uow: UnitOfWork,
    actor: str,
    warehouse: str,
    usage_days: int,
    supplier: str | None = None,
) -> list[Suggestion]:
    """The suggestions for ``warehouse``, moving stock only from warehouses the actor sees."""
    visible = principal(uow, actor).visible_warehouses
    today = uow.today()
    needs = queries.needs(uow.connection, warehouse, today, usage_days)
    spare: dict[int, dict[str, Decimal]] = {}
    wanted = [need.item_id for need in needs]
    for found in queries.surpluses(uow.connection, warehouse, wanted, visible):
        spare.setdefault(found.item_id, {})[found.warehouse] = found.quantity
    suggestions = []
    for need in needs:
        sources = choose_sources(need.quantity, spare.get(need.item_id, {}), need.decimals)
        suggestions.append(
            Suggestion(
                need.item,
                need.item_name,
                need.unit,
                need.levels.safety_stock,
                need.levels.reorder_point,
                need.levels.max_quantity,
                need.on_hand,
                need.reserved,
                need.on_order,
                need.average_daily_usage,
                need.quantity,
                need.unit_cost,
                tuple(
                    SuggestionSource(
                        source.quantity,
                        source.warehouse,
                        None if source.warehouse else supplier or need.supplier,
                    )
                    for source in sources
                ),
            )
        )
    return suggestions


def _visible_warehouse(uow: UnitOfWork, actor: str, warehouse: str) -> None:
    visible = principal(uow, actor).visible_warehouses
    known = uow.catalog.warehouses_by_code([warehouse])
    if not known or (visible is not None and warehouse not in visible):
        raise NotFound("warehouse.unknown", {"warehouse": warehouse})


@reading
def suggest(
    uow: UnitOfWork, actor: str, warehouse: str, usage_days: int = DEFAULT_USAGE_DAYS
) -> list[Suggestion]:
    """补货建议 for ``warehouse``: what to bring in, from where, with the usage behind it.

    Raises:
        NotFound: warehouse.unknown.
    """
    _visible_warehouse(uow, actor, warehouse)
    return _suggestions(uow, actor, warehouse, usage_days)


@transactional
def accept(
    uow: UnitOfWork, actor: str, data: AcceptIn | dict[str, Any], request_id: str | None = None
) -> Accepted:
    """生成草稿单据: turn a warehouse's suggestions into draft transfers and purchase orders.

    One transfer per source warehouse, one purchase order per supplier, all or none.

    Raises:
        Invalid: input.invalid, item.unknown, replenish.no_supplier (an item to buy with no
            supplier known and none chosen), and what creating the drafts raises.
        NotFound: warehouse.unknown.
        Conflict: replenish.nothing_to_order, request.idempotency_key_reused.
        Forbidden: auth.forbidden_document (the drafts' types are the actor's to create).
    """
    wanted = parse(AcceptIn, data)
    payload = wanted.model_dump(mode="json")
    seen = replay(uow, actor, request_id, "replenishment.accept", payload)
    if seen is not None:
        return Accepted(seen["warehouse"], list(seen["documents"]), seen["lines"])
    _visible_warehouse(uow, actor, wanted.warehouse)
    errors = ErrorCollector()
    known = uow.catalog.items_by_code(wanted.items)
    for index, code in enumerate(wanted.items, start=1):
        if code not in known:
            errors.add(f"/items/{index}", "item.unknown", item=code)
    errors.raise_if_any()
    chosen = [
        suggestion
        for suggestion in _suggestions(
            uow, actor, wanted.warehouse, wanted.usage_days, wanted.supplier
        )
        if not wanted.items or suggestion.item in wanted.items
    ]
    if not chosen:
        raise Conflict("replenish.nothing_to_order", {"warehouse": wanted.warehouse})
    for suggestion in chosen:
        for source in suggestion.sources:
            if source.warehouse is None and source.supplier is None:
                errors.add("/supplier", "replenish.no_supplier", item=suggestion.item)
    errors.raise_if_any()
    made = _drafts(uow, actor, wanted.warehouse, chosen)
    lines = sum(len(suggestion.sources) for suggestion in chosen)
    uow.record(
        AuditEntry(
            actor,
            "replenishment.accept",
            "warehouse",
            wanted.warehouse,
            {**payload, "documents": made},
        )
    )
    result = Accepted(wanted.warehouse, made, lines)
    remember(uow, actor, request_id, "replenishment.accept", payload, result.to_dict())
    uow.commit()
    return result


def _drafts(uow: UnitOfWork, actor: str, warehouse: str, chosen: Sequence[Suggestion]) -> list[str]:
    transfers = group_by_source(
        [
            (s.item, Source(x.quantity, x.warehouse))
            for s in chosen
            for x in s.sources
            if x.warehouse
        ]
    )
    made = []
    for source, lines in sorted(transfers.items(), key=lambda pair: str(pair[0])):
        made.append(
            documents.creating(
                uow,
                actor,
                {
                    "document_type": "transfer",
                    "warehouse": source,
                    "to_warehouse": warehouse,
                    "note": "补货建议 / replenishment",
                    "lines": [{"item": item, "quantity": quantity} for item, quantity in lines],
                },
            ).number
        )
    costs = {s.item: s.unit_cost for s in chosen}
    purchases: dict[str, list[tuple[str, Decimal]]] = {}
    for suggestion in chosen:
        for part in suggestion.sources:
            if part.warehouse is None and part.supplier is not None:
                purchases.setdefault(part.supplier, []).append((suggestion.item, part.quantity))
    for supplier, lines in sorted(purchases.items()):
        made.append(
            documents.creating(
                uow,
                actor,
                {
                    "document_type": "purchase_order",
                    "warehouse": warehouse,
                    "partner": supplier,
                    "note": "补货建议 / replenishment",
                    "prices_include_tax": False,
                    "lines": [
                        {
                            "item": item,
                            "quantity": quantity,
                            "unit_price": costs[item] or Decimal(0),
                        }
                        for item, quantity in lines
                    ],
                },
            ).number
        )
    return made


@reading
def alert_counts(uow: UnitOfWork, actor: str) -> dict[str, int]:
    """How many alerts of each kind the actor's warehouses have now (for the home page)."""
    visible = principal(uow, actor).visible_warehouses
    return queries.alert_counts(uow.connection, uow.today(), visible, uow.zone)
