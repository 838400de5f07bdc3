"""Orders exported by online shops (天猫, 京东, 抖店 …) read into sales orders.

A mapping says which of the shop's columns hold the order number, the shop's SKU code
(商家编码), the quantity and the unit price, and what each SKU is here: one of our items,
or a bundle (组合商品) of several. The whole file is checked first; every bad row is named
with its row and column, and then nothing is imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from jxc.domain.errors import ErrorCollector, Invalid
from jxc.domain.prices import PRICE_DECIMALS, LinePrice, check_price
from jxc.domain.quantities import parse_decimal

FIELDS = ("order_number", "sku", "quantity", "unit_price")
MAX_ORDER_NUMBER = 64  # a shop's order number, as kept
OPTIONAL_FIELDS = ("tax_rate",)


@dataclass(frozen=True)
class ShopMapping:
    columns: Mapping[str, str]  # our field → the shop's column heading
    skus: Mapping[str, Mapping[str, Decimal]]  # shop SKU → our item codes and how many
    tax_rate: Decimal  # where the file has no tax column


@dataclass(frozen=True)
class ShopLine:
    row: int  # the file's row number (its heading is row 1)
    item: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


def check_headings(headings: Sequence[str], mapping: ShopMapping) -> None:
    """Refuse a file without the columns the mapping names (each missing one named).

    Raises:
        Invalid: import.column_missing.
    """
    errors = ErrorCollector()
    for field in FIELDS + OPTIONAL_FIELDS:
        column = mapping.columns.get(field)
        if column is not None and column not in headings:
            errors.add(f"/columns/{field}", "import.column_missing", column=column, field=field)
    errors.raise_if_any()


def orders_in(
    rows: Sequence[tuple[int, Mapping[str, str]]], mapping: ShopMapping, errors: ErrorCollector
) -> dict[str, list[ShopLine]]:
    """The file's orders by the shop's order number, each with its lines here.

    ``rows``: each with its row number in the file. A bundle's line becomes a line per
    component; its price is shared between the component units evenly.
    """
    orders: dict[str, list[ShopLine]] = defaultdict(list)
    for row_number, row in rows:
        before = len(errors.items)

        def cell(field: str, row: Mapping[str, str] = row) -> str:
            return (row.get(mapping.columns.get(field, ""), "") or "").strip()

        def pointer(field: str, row_number: int = row_number) -> str:
            return f"/rows/{row_number}/{mapping.columns.get(field, field)}"

        number = cell("order_number")
        if not number:
            errors.add(pointer("order_number"), "import.value_required", row=row_number)
        elif len(number) > MAX_ORDER_NUMBER:
            errors.add(
                pointer("order_number"),
                "import.value_too_long",
                row=row_number,
                maximum=MAX_ORDER_NUMBER,
            )
        sku = cell("sku")
        components = mapping.skus.get(sku)
        if components is None:
            errors.add(pointer("sku"), "import.sku_unknown", sku=sku or "-", row=row_number)
        quantity = _number(cell("quantity"), pointer("quantity"), row_number, errors)
        if quantity is not None and quantity <= 0:
            errors.add(pointer("quantity"), "import.not_positive", row=row_number)
        price = _number(cell("unit_price"), pointer("unit_price"), row_number, errors)
        tax = (
            _number(cell("tax_rate"), pointer("tax_rate"), row_number, errors)
            if "tax_rate" in mapping.columns
            else mapping.tax_rate
        )
        if price is not None and tax is not None:
            found = ErrorCollector()
            check_price(LinePrice(price, tax), "", found)
            for problem in found.items:
                field = "tax_rate" if problem.pointer == "/tax_rate" else "unit_price"
                errors.add(pointer(field), problem.code, **dict(problem.params), row=row_number)
        if len(errors.items) > before:
            continue
        assert components is not None
        assert quantity is not None
        assert price is not None
        assert tax is not None
        units = sum(components.values(), Decimal(0))
        share = (price / units).quantize(Decimal(1).scaleb(-PRICE_DECIMALS))
        for item, each in components.items():
            orders[number].append(
                ShopLine(row_number, item, quantity * each, price if units == 1 else share, tax)
            )
    return dict(orders)


def _number(text: str, pointer: str, row: int, errors: ErrorCollector) -> Decimal | None:
    if not text:
        errors.add(pointer, "import.value_required", row=row)
        return None
    try:
        return parse_decimal(text)
    except Invalid:
        errors.add(pointer, "import.not_a_number", value=text, row=row)
        return None
