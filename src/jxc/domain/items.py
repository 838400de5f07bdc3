"""Items (商品/物料): code, units with exact conversions and the tracking mode.

An item converts any quantity given in one of its units into its base unit exactly,
and refuses units it has no conversion for; every stock figure is kept in the base unit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from jxc.domain.errors import Invalid
from jxc.domain.quantities import (
    MAX_QUANTITY,
    QUANTITY_SCALE,
    Unit,
    check_quantity,
    decimals_of,
    normalized,
)


class TrackingMode(StrEnum):
    NONE = "none"
    BATCH = "batch"
    SERIAL = "serial"


@dataclass(frozen=True)
class Item:
    id: int
    code: str
    name: str
    base_unit: Unit
    tracking: TrackingMode = TrackingMode.NONE
    shelf_life_days: int | None = None
    category: str | None = None
    specification: str | None = None
    # unit code → (unit, how many base units one of it holds)
    conversions: dict[str, tuple[Unit, Decimal]] = field(default_factory=dict)

    def unit_named(self, unit_code: str | None) -> tuple[Unit, Decimal]:
        if unit_code is None or unit_code == self.base_unit.code:
            return self.base_unit, Decimal(1)
        try:
            return self.conversions[unit_code]
        except KeyError:
            raise Invalid(
                "unit.not_convertible",
                {
                    "item": self.code,
                    "unit": unit_code,
                    "units": ", ".join([self.base_unit.code, *self.conversions]),
                },
            ) from None

    def to_base(self, quantity: Decimal, unit_code: str | None) -> Decimal:
        """Convert ``quantity`` of ``unit_code`` into the base unit, exactly or not at all."""
        unit, ratio = self.unit_named(unit_code)
        check_quantity(quantity, unit)
        base = quantity * ratio
        if decimals_of(base) > min(self.base_unit.decimals, QUANTITY_SCALE):
            raise _converted("unit.inexact_conversion", (quantity, unit), (base, self.base_unit))
        if base > MAX_QUANTITY:  # named as typed: 10000000001 箱, not 1000000000100.000000
            raise _converted(
                "quantity.too_large_in_base", (quantity, unit), (base, self.base_unit), "10^12"
            )
        return check_quantity(base, self.base_unit)


def _converted(
    code: str,
    given: tuple[Decimal, Unit],
    base: tuple[Decimal, Unit],
    maximum: str | None = None,
) -> Invalid:
    """A conversion refused, naming the quantity as given and as the base unit counts it."""
    params = {
        "quantity": str(normalized(given[0])),
        "unit": given[1].code,
        "base_quantity": str(normalized(base[0])),
        "base_unit": base[1].code,
    }
    return Invalid(code, params if maximum is None else {**params, "maximum": maximum})


def check_conversion_ratio(ratio: Decimal, unit: Unit) -> Decimal:
    if ratio <= 0:
        raise Invalid("unit.ratio_not_positive", {"unit": unit.code, "ratio": str(ratio)})
    if decimals_of(ratio) > QUANTITY_SCALE:
        raise Invalid("unit.ratio_too_precise", {"unit": unit.code, "ratio": str(ratio)})
    return ratio
