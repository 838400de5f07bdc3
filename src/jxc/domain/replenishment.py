"""Stock levels (安全库存, 再订货点, 最高库存), 库存预警 and 补货建议 as pure rules.

A level is set per item and warehouse. It must read upwards: safety stock ≤ reorder point
≤ maximum, none negative, so that a warehouse at its reorder point is never already below
its safety stock and an order up to the maximum always takes it above its reorder point.
A suggestion brings a warehouse at or below its reorder point back up to its maximum,
counting what is already on its way (open purchase orders, transfers not yet received),
so accepting suggestions twice never orders twice. Stock comes from another warehouse's
surplus above its own reorder point first, and is bought only for the rest.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from jxc.domain.errors import ErrorCollector
from jxc.domain.quantities import (
    MAX_QUANTITY,
    QUANTITY_SCALE,
    decimals_of,
    round_down,
    round_up,
)

ZERO = Decimal(0)
DEFAULT_USAGE_DAYS = 30
MAX_USAGE_DAYS = 3650
MAX_ALERT_KEY = 200


class AlertKind(StrEnum):
    BELOW_SAFETY = "below_safety"  # 低于安全库存
    AT_REORDER = "at_reorder"  # 到达再订货点
    EXPIRED = "expired"  # 已过期
    NEAR_EXPIRY = "near_expiry"  # 临期
    NEGATIVE = "negative"  # 负库存 (jxc check)
    MISMATCH = "mismatch"  # 账实不符: a balance differs from its ledger (jxc check)
    OVERSELL_REFUSED = "oversell_refused"  # 拒绝超卖: a posting or reservation was refused


def alert_episodes(
    current: Iterable[str], known: Mapping[str, tuple[int, bool]]
) -> tuple[dict[str, int], set[str]]:
    """Which alerts begin an episode now (key → its number), and which open ones cleared.

    ``known`` holds each alert seen before: its latest episode and whether it is open. An
    alert still open begins nothing; one that cleared and is back begins the next episode.
    """
    now = set(current)
    begun = {
        key: known.get(key, (0, False))[0] + 1 for key in now if not known.get(key, (0, False))[1]
    }
    cleared = {key for key, (_, is_open) in known.items() if is_open and key not in now}
    return begun, cleared


def episode_key(key: str, episode: int) -> str:
    """The outbox key of an alert's episode: the first keeps the alert's own key."""
    if episode == 1:
        return key[:MAX_ALERT_KEY]
    suffix = f"#{episode}"
    return key[: MAX_ALERT_KEY - len(suffix)] + suffix


@dataclass(frozen=True)
class Levels:
    safety_stock: Decimal
    reorder_point: Decimal
    max_quantity: Decimal


def check_levels(levels: Levels) -> None:
    """Refuse levels that do not read upwards, naming every field at fault.

    Raises:
        Invalid: level.negative, level.too_large, level.too_precise,
            level.reorder_below_safety, level.max_below_reorder.
    """
    errors = ErrorCollector()
    for field, value in (
        ("safety_stock", levels.safety_stock),
        ("reorder_point", levels.reorder_point),
        ("max_quantity", levels.max_quantity),
    ):
        if not value.is_finite() or value > MAX_QUANTITY:
            errors.add(f"/{field}", "level.too_large", field=field, value=str(value))
            errors.raise_if_any()  # nothing below compares with it
        if value < 0:
            errors.add(f"/{field}", "level.negative", field=field, value=str(value))
        elif decimals_of(value) > QUANTITY_SCALE:
            errors.add(f"/{field}", "level.too_precise", field=field, value=str(value))
    if levels.reorder_point < levels.safety_stock:
        errors.add(
            "/reorder_point",
            "level.reorder_below_safety",
            reorder_point=str(levels.reorder_point),
            safety_stock=str(levels.safety_stock),
        )
    if levels.max_quantity < levels.reorder_point:
        errors.add(
            "/max_quantity",
            "level.max_below_reorder",
            max_quantity=str(levels.max_quantity),
            reorder_point=str(levels.reorder_point),
        )
    errors.raise_if_any()


def stock_alert(levels: Levels, available: Decimal) -> AlertKind | None:
    """库存预警 for a warehouse with ``available`` (on hand − reserved) of an item."""
    if available < levels.safety_stock:
        return AlertKind.BELOW_SAFETY
    if available <= levels.reorder_point:
        return AlertKind.AT_REORDER
    return None


def position(on_hand: Decimal, reserved: Decimal, on_order: Decimal) -> Decimal:
    """What a warehouse will have once everything on its way has come: 可用 + 在途."""
    return on_hand - reserved + on_order


def suggested_quantity(levels: Levels, projected: Decimal, decimals: int) -> Decimal:
    """How much to bring in: up to the maximum once at or below the reorder point, else 0.

    Rounded up to what the base unit of ``decimals`` can count: never 3.7 个, but 4.
    """
    if projected > levels.reorder_point:
        return ZERO
    return round_up(max(levels.max_quantity - projected, ZERO), decimals)


def surplus(levels: Levels | None, available: Decimal) -> Decimal:
    """What a warehouse can give away and stay above its own reorder point.

    A warehouse with no levels for the item keeps everything: nobody said what it needs.
    """
    if levels is None:
        return ZERO
    return max(available - levels.reorder_point, ZERO)


@dataclass(frozen=True)
class Source:
    """Where part of a suggestion comes from: a warehouse (调拨) or, without one, a purchase."""

    quantity: Decimal
    warehouse: str | None = None  # None: buy it


def choose_sources(
    needed: Decimal, surpluses: Mapping[str, Decimal], decimals: int
) -> list[Source]:
    """Split ``needed`` between warehouses with surplus and a purchase for the rest.

    The largest surplus gives first (then by warehouse code), so fewer transfers are made.
    A warehouse gives whole units of ``decimals`` only, never more than it can spare.
    """
    sources: list[Source] = []
    left = needed
    for warehouse, spare in sorted(surpluses.items(), key=lambda pair: (-pair[1], pair[0])):
        if left <= 0:
            break
        take = min(round_down(spare, decimals), left)
        if take > 0:
            sources.append(Source(take, warehouse))
            left -= take
    if left > 0:
        sources.append(Source(left))
    return sources


def average_daily_usage(issued: Decimal, days: int) -> Decimal:
    """Average daily usage over ``days`` days, to two places past the unit."""
    if days <= 0:
        return ZERO
    return (issued / days).quantize(Decimal("0.01"))


def group_by_source(
    lines: Sequence[tuple[str, Source]],
) -> dict[str | None, list[tuple[str, Decimal]]]:
    """(item, source) pairs grouped into one document per source warehouse (None: purchase)."""
    grouped: dict[str | None, list[tuple[str, Decimal]]] = {}
    for item, source in lines:
        grouped.setdefault(source.warehouse, []).append((item, source.quantity))
    return grouped
