"""Prices on order and delivery lines: unit price, tax rate, discount, 价税合计.

Money is in the currency's precision (two decimals for CNY), rounded half up once per
line; the parts always add up: amount + tax = amount incl. tax. A price may include tax
(含税单价, how shops and most Chinese quotes state it) or exclude it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from jxc.domain.errors import ErrorCollector
from jxc.domain.quantities import ZERO, decimals_of, round_money

PRICE_DECIMALS = 4  # 单价小数位
RATE_DECIMALS = 2  # a tax or discount rate in percent: 13, 9, 6, 0.5
MAX_PRICE = Decimal(10) ** 10
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class LinePrice:
    unit_price: Decimal
    tax_rate: Decimal = ZERO  # percent
    discount_rate: Decimal = ZERO  # percent off the line
    includes_tax: bool = True


@dataclass(frozen=True)
class Amounts:
    discount: Decimal  # 折扣额
    amount: Decimal  # 金额 (without tax)
    tax: Decimal  # 税额
    amount_incl_tax: Decimal  # 价税合计


def check_price(price: LinePrice, pointer: str, errors: ErrorCollector) -> None:
    """Collect what is wrong with a line's price, tax rate and discount."""
    if price.unit_price < 0:
        errors.add(f"{pointer}/unit_price", "price.negative", value=str(price.unit_price))
    elif price.unit_price >= MAX_PRICE:
        errors.add(f"{pointer}/unit_price", "price.too_large", value=str(price.unit_price))
    elif decimals_of(price.unit_price) > PRICE_DECIMALS:
        errors.add(
            f"{pointer}/unit_price",
            "price.too_precise",
            value=str(price.unit_price),
            decimals=PRICE_DECIMALS,
        )
    check_rates(price.tax_rate, price.discount_rate, pointer, errors)


def check_rates(
    tax_rate: Decimal, discount_rate: Decimal, pointer: str, errors: ErrorCollector
) -> None:
    """Collect what is wrong with a line's tax rate and discount (a percentage each)."""
    for field, rate in (("tax_rate", tax_rate), ("discount_rate", discount_rate)):
        if not ZERO <= rate <= HUNDRED:
            errors.add(f"{pointer}/{field}", "rate.out_of_range", field=field, value=str(rate))
        elif decimals_of(rate) > RATE_DECIMALS:
            errors.add(
                f"{pointer}/{field}",
                "rate.too_precise",
                field=field,
                value=str(rate),
                decimals=RATE_DECIMALS,
            )


def amounts(quantity: Decimal, price: LinePrice) -> Amounts:
    """A line's money: the discount off the gross, then tax split out of or added to it."""
    gross = round_money(quantity * price.unit_price)
    discount = round_money(gross * price.discount_rate / HUNDRED)
    net = gross - discount
    if price.includes_tax:
        tax = round_money(net * price.tax_rate / (HUNDRED + price.tax_rate))
        return Amounts(discount, net - tax, tax, net)
    tax = round_money(net * price.tax_rate / HUNDRED)
    return Amounts(discount, net, tax, net + tax)


def gross_profit(amount: Decimal, cost: Decimal) -> tuple[Decimal, Decimal | None]:
    """毛利 and 毛利率 (percent, two decimals) of revenue ``amount`` (without tax) at ``cost``."""
    profit = amount - cost
    margin = round_money(profit * HUNDRED / amount) if amount else None
    return profit, margin
