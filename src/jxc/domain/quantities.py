"""Exact quantities, units and money (invariant 6: never float).

A quantity is a ``Decimal`` carrying no more decimals than its unit allows; unit
conversions multiply by an exact ratio and refuse a result the base unit cannot hold
(0.1 箱 of 12 个 is 1.2 个, which a unit of 0 decimals cannot count).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal, InvalidOperation

from jxc.domain.errors import Invalid

MAX_QUANTITY = Decimal(10) ** 12
MAX_LINE_AMOUNT = Decimal(10) ** 14  # keeps every stored sum of values exact on SQLite
QUANTITY_SCALE = 6
MONEY_DECIMALS = 2
UNIT_COST_DECIMALS = 6
ZERO = Decimal(0)

_WRITTEN_OUT = re.compile(
    r"[+-]?(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII
)
_FULL_WIDTH = str.maketrans("０１２３４５６７８９＋－．，", "0123456789+-.,")
_MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_DECIMALS)
_UNIT_COST_QUANTUM = Decimal(1).scaleb(-UNIT_COST_DECIMALS)


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    decimals: int


def decimals_of(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def round_up(quantity: Decimal, decimals: int) -> Decimal:
    """``quantity`` rounded up to what a unit of ``decimals`` can count (3.7 个 → 4 个)."""
    return quantity.quantize(Decimal(1).scaleb(-min(decimals, QUANTITY_SCALE)), ROUND_CEILING)


def round_down(quantity: Decimal, decimals: int) -> Decimal:
    """``quantity`` rounded down to what a unit of ``decimals`` can count (3.7 个 → 3 个)."""
    return quantity.quantize(Decimal(1).scaleb(-min(decimals, QUANTITY_SCALE)), ROUND_FLOOR)


def written_out(text: str) -> str | None:
    """``text`` as the digits a person writes, else None.

    12, -1.5, 1,000 (commas only between thousands) and the full-width １２．５ of a Chinese
    input method. Python also reads 1e3, 1_000 and other scripts' digits as numbers, and
    Unicode folds ² and ① into digits. None of them is how a clerk writes a quantity or a
    price, and 1e3 read as 1,000 units is a typo turned into stock.
    """
    if text.isascii() and text.isdigit():  # most quantities: 5, 12, 100
        return text
    plain = text.translate(_FULL_WIDTH).strip()
    return plain.replace(",", "") if _WRITTEN_OUT.fullmatch(plain) else None


def digits_of(text: str) -> str | None:
    """``text`` as the digits a person writes (see ``written_out``), None if no number.

    Raises:
        Invalid: number.not_written_out: a number Python reads, but not in digits (1e3).
    """
    plain = written_out(text)
    if plain is None and _is_finite_number(text):
        raise Invalid("number.not_written_out", {"value": text})
    return plain


def _is_finite_number(text: str) -> bool:
    """Whether Python would read ``text`` as a finite number, written out or not."""
    try:
        return Decimal(text.translate(_FULL_WIDTH).strip()).is_finite()
    except InvalidOperation:
        return False


def parse_decimal(raw: object, code: str = "quantity.not_a_number") -> Decimal:
    """Read a number exactly from text or an int/Decimal; floats are refused as inexact.

    Raises:
        Invalid: ``code``; number.not_written_out (1e3, 1_000: a number, not in digits).
    """
    if isinstance(raw, (bool, float)):
        raise Invalid(code, {"value": str(raw)})
    if isinstance(raw, Decimal):
        value = raw
    elif isinstance(raw, int):
        value = Decimal(raw)
    else:
        text = str(raw)
        plain = digits_of(text)
        if plain is None:
            raise Invalid(code, {"value": text})
        value = Decimal(plain)
    if not value.is_finite():
        raise Invalid(code, {"value": str(raw)})
    return value


def check_quantity(quantity: Decimal, unit: Unit) -> Decimal:
    """Refuse zero, negative, absurd or over-precise quantities for ``unit``."""
    if quantity <= 0:
        raise Invalid("quantity.not_positive", {"quantity": f"{quantity:f}"})
    if quantity > MAX_QUANTITY:
        raise Invalid("quantity.too_large", {"quantity": f"{quantity:f}", "maximum": "10^12"})
    if decimals_of(quantity) > unit.decimals:
        raise Invalid(
            "quantity.too_precise",
            {"quantity": f"{quantity:f}", "unit": unit.code, "decimals": unit.decimals},
        )
    return quantity


def check_unit_cost(unit_cost: Decimal) -> Decimal:
    if unit_cost < 0:
        raise Invalid("unit_cost.negative", {"unit_cost": f"{unit_cost:f}"})
    if unit_cost > MAX_QUANTITY:
        raise Invalid("unit_cost.too_large", {"unit_cost": f"{unit_cost:f}", "maximum": "10^12"})
    if decimals_of(unit_cost) > UNIT_COST_DECIMALS:
        raise Invalid(
            "unit_cost.too_precise", {"unit_cost": f"{unit_cost:f}", "decimals": UNIT_COST_DECIMALS}
        )
    return unit_cost


def check_cost_per_base(per_base: Decimal, entered: Decimal, unit: str, base_unit: str) -> None:
    """Refuse a cost per a unit smaller than the base (per 克 of kg) absurd per base unit."""
    if per_base > MAX_QUANTITY:
        raise Invalid(
            "unit_cost.too_large_per_base",
            {
                "unit_cost": str(entered),
                "unit": unit,
                "per_base": f"{normalized(per_base):,}",
                "base_unit": base_unit,
            },
        )


def check_line_amount(quantity: Decimal, unit_cost: Decimal) -> None:
    amount = quantity * unit_cost
    if amount > MAX_LINE_AMOUNT:
        raise Invalid("amount.too_large", {"amount": f"{amount:,.2f}", "maximum": "10^14"})


def round_money(amount: Decimal) -> Decimal:
    return amount.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_UP)


def round_unit_cost(amount: Decimal) -> Decimal:
    return amount.quantize(_UNIT_COST_QUANTUM, rounding=ROUND_HALF_UP)


def cost_per_base_unit(cost: Decimal, quantity: Decimal, base_quantity: Decimal) -> Decimal:
    """A line's unit cost given per its own unit (4.20 per 箱 of 100) per base unit (0.042).

    Stock is valued per base unit; a cost that does not divide evenly keeps the six
    decimals every unit cost keeps (as an order's price does when it is received).
    """
    if quantity == base_quantity:
        return cost
    return round_unit_cost(cost * quantity / base_quantity)


def cost_per_line_unit(
    entered: Decimal | None, per_base: Decimal | None, quantity: Decimal, base_quantity: Decimal
) -> Decimal | None:
    """A line's unit cost per its own unit: as entered, else from the cost per base unit.

    Lines written before costs were kept as entered, and receipts costed from their order,
    have only the cost per base unit.
    """
    if entered is not None or per_base is None or quantity == base_quantity:
        return entered if entered is not None else per_base
    return normalized(round_unit_cost(per_base * base_quantity / quantity))


def normalized(value: Decimal) -> Decimal:
    """Drop trailing zeros without switching to exponent notation (12.000 → 12, 100 → 100)."""
    if not value.is_finite():
        return value
    if value == value.to_integral_value():
        # Enough precision for any size: an absurd number is refused by name, not by a crash.
        return value.quantize(Decimal(1), context=Context(prec=max(28, value.adjusted() + 1)))
    return value.normalize()
