"""Response models: ``XOut`` and ``Page[XOut]``; request bodies are the services' own inputs.

Quantities and money are JSON strings holding exact decimals, never floats.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from jxc.domain.audit import AuditEvent
from jxc.domain.audit_export import ExportCheck
from jxc.domain.quantities import normalized
from jxc.domain.stock import Stocked
from jxc.queries.documents import DocumentRow
from jxc.services.documents import DocumentResult

T = TypeVar("T")

# An exact decimal as a JSON string without the stored scale's trailing zeros ("12.5").
Exact = Annotated[Decimal, PlainSerializer(lambda value: str(normalized(value)), return_type=str)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    limit: int
    offset: int
    next_offset: int | None = Field(description="Where the next page starts; null on the last.")

    @classmethod
    def of(cls, rows: list[T], limit: int, offset: int) -> Page[T]:
        # Routes fetch one row more than the page holds, to know whether more follow.
        more = len(rows) > limit
        return cls(
            items=rows[:limit],
            limit=limit,
            offset=offset,
            next_offset=offset + limit if more else None,
        )


class DocumentResultOut(BaseModel):
    number: str
    document_type: str
    state: str
    lines: int
    entries: int = Field(description="Ledger entries this request wrote.")

    @classmethod
    def of(cls, result: DocumentResult) -> DocumentResultOut:
        return cls(**result.to_dict())


class EventOut(BaseModel):
    sequence: int
    occurred_at: datetime
    actor: str
    action: str
    subject_type: str
    subject: str
    from_state: str | None
    to_state: str | None
    details: dict[str, Any]
    hash: str

    @classmethod
    def of(cls, event: AuditEvent) -> EventOut:
        return cls(
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            actor=event.actor,
            action=event.action,
            subject_type=event.subject_type,
            subject=event.subject,
            from_state=event.from_state,
            to_state=event.to_state,
            details=json.loads(event.payload),
            hash=event.hash,
        )


class LineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    line_no: int
    item: str
    item_name: str
    quantity: Exact
    unit: str
    base_quantity: Exact
    location: str | None
    to_location: str | None
    batch: str | None
    serials: list[str]
    unit_cost: Exact | None


class StockRowOut(BaseModel):
    """Stock at one location and batch (库存状况表 at its finest grain)."""

    model_config = ConfigDict(from_attributes=True)
    item: str
    item_name: str
    unit: str
    warehouse: str
    location: str
    batch: str | None
    expiry_date: date | None
    on_hand: Exact
    reserved: Exact
    available: Exact


class MovementOut(BaseModel):
    """One ledger entry (库存流水) as people read it."""

    model_config = ConfigDict(from_attributes=True)
    sequence: int
    business_date: date
    recorded_at: datetime
    document: str
    document_type: str
    item: str
    batch: str | None
    serial: str | None
    from_location: str
    to_location: str
    quantity: Exact
    value: Exact
    user: str
    partner: str | None = Field(description="The supplier, customer or channel of its document.")


class LedgerMovementOut(MovementOut):
    """A movement of 商品流水账: what it changed in the warehouse asked for."""

    change: Exact = Field(description="Signed change of stock in the warehouse asked for.")
    balance: Exact = Field(description="Stock in that warehouse after this movement.")


class ItemLedgerOut(BaseModel):
    """商品流水账: the stock at the start and every movement after, with the running balance."""

    item: str
    warehouse: str | None
    opening: Exact
    movements: list[LedgerMovementOut]


class TraceOut(BaseModel):
    """A batch's, a serial's or a document's way through the warehouses (追溯)."""

    subject: str
    backward: list[MovementOut] = Field(description="Where a document's goods came from.")
    movements: list[MovementOut]
    forward: list[MovementOut] = Field(description="Where a document's goods went after.")


class PricedLineOut(BaseModel):
    """A line's money (价税合计); an order line's progress; a delivery line's 毛利."""

    model_config = ConfigDict(from_attributes=True)
    line_no: int
    item: str
    quantity: Exact = Field(description="In the line's unit, which the unit price is per.")
    unit: str
    base_quantity: Exact
    base_unit: str
    unit_price: Exact
    tax_rate: Exact = Field(description="Percent.")
    discount_rate: Exact = Field(description="Percent.")
    includes_tax: bool
    discount: Exact
    amount: Exact = Field(description="Without tax.")
    tax: Exact
    amount_incl_tax: Exact
    delivered: Exact | None = Field(
        description="An order line: delivered (received) so far, in base units."
    )
    open: Exact | None = Field(description="An order line: still to come, in base units.")
    source_line: int | None = Field(
        description="A delivery's, receipt's or return's line: the line it takes from."
    )
    cost: Exact | None = Field(description="A posted delivery line: cost of goods (ledger).")
    returned: Exact | None = Field(description="A delivery line: brought back by returns.")
    gross_profit: Exact | None = Field(description="Returns taken off the amount and the cost.")
    gross_margin: Exact | None = Field(description="Percent of the amount without tax.")


class MadeFromOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    number: str
    document_type: str
    state: str
    business_date: date
    posted: bool
    kind: str = Field(description="What users call it: purchase_receipt (采购入库单) …")
    reversed: bool = Field(description="Its 红冲 is posted: it is no longer in effect.")


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    document: DocumentRow
    lines: list[LineOut]
    history: list[EventOut]
    actions: list[str] = Field(description="The workflow steps the reader may take now.")
    withheld_actions: dict[str, str] = Field(
        description="Steps the reader's role allows but that would be refused now, each "
        "with why in the reader's language (separation of duties: who submitted may not "
        "approve; documents made from it hold up a 反审核)."
    )
    prices: list[PricedLineOut] = Field(description="Orders and deliveries: each line's money.")
    progress: str | None = Field(
        description="An order: open, partially_done (部分出库) or done (已完成)."
    )
    source: str | None = Field(description="The order this document was pushed down from.")
    made_from: list[MadeFromOut] = Field(description="An order: the deliveries made from it.")


class StockOut(BaseModel):
    """On hand, reserved (预占) and available of one item in one warehouse."""

    item: str
    warehouse: str
    on_hand: Exact
    reserved: Exact
    available: Exact

    @classmethod
    def of(cls, level: Stocked, item: str, warehouse: str) -> StockOut:
        return cls(
            item=item,
            warehouse=warehouse,
            on_hand=level.on_hand,
            reserved=level.reserved,
            available=level.available,
        )


class SessionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=1, max_length=1000)


class SessionOut(BaseModel):
    token: str
    username: str
    expires_at: datetime


class GrantOut(BaseModel):
    role: str
    warehouse: str | None


class MeOut(BaseModel):
    username: str
    grants: list[GrantOut]
    warehouses: list[str] | None = Field(description="Warehouses visible; null: every one.")


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, description="Why (驳回 and 反审核 need one).")


class ReverseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=500)
    post: bool = Field(default=False, description="Take its one-step post at once.")


class StateCountOut(BaseModel):
    state: str
    count: int
    sla_hours: int | None = None
    initial: bool
    final: bool


class FlowOut(BaseModel):
    document_type: str
    name: str
    digest: str
    states: list[StateCountOut]
    mermaid: str


class PartnerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    code: str
    name: str
    kind: str
    contact: str | None
    phone: str | None
    email: str | None
    address: str | None
    default_warehouse: str | None
    channel_kind: str | None
    platform: str | None
    safety_buffer: Exact
    warehouses: list[str]
    active: bool


class SellableOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item: str
    item_name: str
    unit: str
    available: Exact
    buffer: Exact
    sellable: Exact


class ChangedOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    item: str
    item_name: str
    unit: str
    warehouse: str = Field(description="The channel's warehouse the item changed in.")
    warehouse_available: Exact = Field(
        description="Available in that warehouse, for a shop that stocks per warehouse (分仓)."
    )
    available: Exact = Field(description="Available in all the channel's warehouses.")
    sellable: Exact = Field(description="What the channel may sell: available less its buffer.")
    sequence: int = Field(description="The item's last change in the warehouse; only grows.")


class ChangesOut(BaseModel):
    """变更流: items changed since a cursor, with what the channel may sell of them now."""

    model_config = ConfigDict(from_attributes=True)
    cursor: int = Field(description="Give it as `since` next time.")
    more: bool = Field(description="More changes wait after the cursor: ask again at once.")
    rows: list[ChangedOut]


class SummaryRowOut(BaseModel):
    """One item in one warehouse in the 进销存汇总表 (the total leaves the codes empty)."""

    model_config = ConfigDict(from_attributes=True)
    warehouse: str
    item: str
    item_name: str
    category: str | None
    unit: str
    opening_quantity: Exact
    opening_value: Exact
    in_quantity: Exact
    in_value: Exact
    out_quantity: Exact
    out_value: Exact
    closing_quantity: Exact
    closing_value: Exact


class StockSummaryOut(BaseModel):
    """进销存汇总表 over ``start`` … ``end`` (business dates, both included)."""

    model_config = ConfigDict(from_attributes=True)
    start: date
    end: date
    since: str | None = Field(
        description="The closed month whose snapshot the opening starts from (null: the ledger)."
    )
    rows: list[SummaryRowOut]
    total: SummaryTotalOut


class TotalOut(BaseModel):
    """A report's 合计: values always; quantities only where every row counts in one unit."""

    model_config = ConfigDict(from_attributes=True)
    unit: str | None = Field(description="The rows' one unit; null where they differ.")


class SummaryTotalOut(TotalOut):
    opening_quantity: Exact | None
    opening_value: Exact
    in_quantity: Exact | None
    in_value: Exact
    out_quantity: Exact | None
    out_value: Exact
    closing_quantity: Exact | None
    closing_value: Exact


class AgeingTotalOut(TotalOut):
    on_hand: Exact | None
    value: Exact
    quantities: list[Exact | None]
    values: list[Exact]


class AgeingRowOut(BaseModel):
    """Stock on hand of one item in one warehouse by age: quantities and values per bucket."""

    model_config = ConfigDict(from_attributes=True)
    warehouse: str
    item: str
    item_name: str
    unit: str
    on_hand: Exact
    value: Exact
    quantities: list[Exact] = Field(description="0–30, 31–60, 61–90, 91–180, 181–365, >365 days.")
    values: list[Exact]


class AgeingOut(BaseModel):
    """库龄分析 of the stock on hand ``today``."""

    model_config = ConfigDict(from_attributes=True)
    today: date
    buckets: list[str]
    rows: list[AgeingRowOut]
    total: AgeingTotalOut


class DormantRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    warehouse: str
    item: str
    item_name: str
    unit: str
    last_out: date | None
    first_in: date | None
    days_idle: int
    on_hand: Exact
    value: Exact


class DormantOut(BaseModel):
    """呆滞分析: stock nothing left its warehouse for at least ``days`` days."""

    model_config = ConfigDict(from_attributes=True)
    today: date
    days: int
    rows: list[DormantRowOut]
    total_value: Exact


class ExpiryRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    warehouse: str
    location: str
    item: str
    item_name: str
    unit: str
    batch: str
    expiry_date: date
    days_left: int
    expired: bool
    on_hand: Exact
    value: Exact


class ExpiryOut(BaseModel):
    """保质期预警: batches on hand expired or expiring within ``days`` days."""

    model_config = ConfigDict(from_attributes=True)
    today: date
    days: int
    rows: list[ExpiryRowOut]
    total_value: Exact


class InTransitRowOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    document: str
    business_date: date
    from_warehouse: str
    to_warehouse: str
    shipped_at: datetime
    days_in_transit: int
    item: str
    item_name: str
    unit: str
    quantity: Exact
    value: Exact


class InTransitOut(BaseModel):
    """调拨在途: transfers shipped and not yet received."""

    model_config = ConfigDict(from_attributes=True)
    today: date
    rows: list[InTransitRowOut]
    total_value: Exact


class SectionCheckOut(BaseModel):
    name: str
    rows_stated: int
    rows_found: int
    matches: bool


class ExportCheckOut(BaseModel):
    ok: bool
    digest: str
    scope: dict[str, str]
    exported_by: str
    exported_at: datetime
    sections: list[SectionCheckOut]
    recorded_sequence: int | None
    recorded_by: str | None
    recorded_at: datetime | None

    @classmethod
    def of(cls, check: ExportCheck) -> ExportCheckOut:
        return cls(
            ok=check.ok,
            digest=check.digest,
            scope=check.manifest.scope.as_dict(),
            exported_by=check.manifest.exported_by,
            exported_at=check.manifest.exported_at,
            sections=[SectionCheckOut(**vars(section)) for section in check.sections],
            recorded_sequence=check.recorded_sequence,
            recorded_by=check.recorded_by,
            recorded_at=check.recorded_at,
        )
