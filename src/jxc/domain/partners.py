"""Partners (往来单位): suppliers, customers and sales channels, and what a channel may sell.

A channel (a store, an online shop on 天猫, 京东, 抖店 …) sells from the warehouses it is
given; what it may offer of an item is the stock available there, less the buffer it keeps
back so that a late sync cannot sell the last unit twice (可售库存).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from jxc.domain.documents import DocumentType
from jxc.domain.errors import ErrorCollector


class PartnerKind(StrEnum):
    SUPPLIER = "supplier"
    CUSTOMER = "customer"
    CHANNEL = "channel"


# Whom a document may name: a receipt's supplier, the customer or channel an issue serves.
PARTNERS_OF = {
    DocumentType.RECEIPT: (PartnerKind.SUPPLIER,),
    DocumentType.ISSUE: (PartnerKind.CUSTOMER, PartnerKind.CHANNEL),
    DocumentType.SALES_ORDER: (PartnerKind.CUSTOMER, PartnerKind.CHANNEL),
    DocumentType.SALES_DELIVERY: (PartnerKind.CUSTOMER, PartnerKind.CHANNEL),
    DocumentType.PURCHASE_ORDER: (PartnerKind.SUPPLIER,),
    DocumentType.SALES_RETURN: (PartnerKind.CUSTOMER, PartnerKind.CHANNEL),
    DocumentType.PURCHASE_RETURN: (PartnerKind.SUPPLIER,),
}


class ChannelKind(StrEnum):
    STORE = "store"  # 门店
    ONLINE = "online"  # 网店


@dataclass(frozen=True)
class ChannelTerms:
    """What a partner's channel fields say; checked together, every problem named."""

    kind: PartnerKind
    channel_kind: ChannelKind | None
    platform: str | None
    safety_buffer: Decimal
    warehouses: tuple[str, ...]


def check_channel_terms(terms: ChannelTerms, errors: ErrorCollector) -> None:
    """A channel needs its kind and the warehouses it sells from; others have neither."""
    if terms.kind is PartnerKind.CHANNEL:
        if terms.channel_kind is None:
            errors.add("/channel_kind", "partner.channel_kind_required")
        if not terms.warehouses:
            errors.add("/warehouses", "partner.channel_warehouses_required")
        duplicated = sorted({w for w in terms.warehouses if terms.warehouses.count(w) > 1})
        if duplicated:
            errors.add("/warehouses", "partner.warehouse_twice", warehouses=", ".join(duplicated))
    else:
        for field, given in (
            ("channel_kind", terms.channel_kind),
            ("platform", terms.platform),
            ("warehouses", terms.warehouses),
        ):
            if given:
                errors.add(f"/{field}", "partner.channel_field_only", field=field)
        if terms.safety_buffer:
            errors.add("/safety_buffer", "partner.channel_field_only", field="safety_buffer")


def sellable(available: Decimal, buffer: Decimal) -> Decimal:
    """What a channel may offer: the available stock less its buffer, never below zero."""
    return max(available - buffer, Decimal(0))
