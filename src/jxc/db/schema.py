"""Tables of JXC, declared once; Alembic migrations are written against them.

Balances are keyed by (item, location, batch) with ``batch_id`` 0 for untracked items,
so the key is a plain unique constraint on every engine (NULLs would be distinct).
Ledger entries are append-only: the application issues no UPDATE or DELETE on them.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from jxc.db.types import ExactDecimal, UtcDateTime
from jxc.domain.quantities import MONEY_DECIMALS, QUANTITY_SCALE, UNIT_COST_DECIMALS

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Quantity = ExactDecimal(QUANTITY_SCALE)
Money = ExactDecimal(MONEY_DECIMALS)
UnitCost = ExactDecimal(UNIT_COST_DECIMALS)
# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets 64 bits.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Unit(Base):
    __tablename__ = "unit"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    decimals: Mapped[int] = mapped_column(Integer)


class Item(Base):
    __tablename__ = "item"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str | None] = mapped_column(String(100))
    specification: Mapped[str | None] = mapped_column(String(200))
    base_unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    tracking: Mapped[str] = mapped_column(String(10), default="none")
    shelf_life_days: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ItemUnit(Base):
    """A unit an item can be counted in, and how many base units one of it holds."""

    __tablename__ = "item_unit"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), primary_key=True)
    ratio: Mapped[Decimal] = mapped_column(Quantity)


class ItemBarcode(Base):
    __tablename__ = "item_barcode"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    barcode: Mapped[str] = mapped_column(String(64), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))


class Warehouse(Base):
    __tablename__ = "warehouse"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    allow_negative_stock: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class Location(Base):
    __tablename__ = "location"
    __table_args__ = (UniqueConstraint("warehouse_id", "code"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    # NULL for the virtual locations that stand for the outside world
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    usage: Mapped[str | None] = mapped_column(String(20))
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class Batch(Base):
    __tablename__ = "batch"
    __table_args__ = (UniqueConstraint("item_id", "batch_no"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    batch_no: Mapped[str] = mapped_column(String(64))
    production_date: Mapped[date] = mapped_column(Date)
    expiry_date: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SerialNumber(Base):
    """A serial sits in exactly one location at a time: the one its last move went to."""

    __tablename__ = "serial_number"
    __table_args__ = (UniqueConstraint("item_id", "serial_no"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    serial_no: Mapped[str] = mapped_column(String(64))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))


class Document(Base):
    __tablename__ = "document"
    __table_args__ = (
        Index("ix_document_type_state", "document_type", "state"),
        Index("ix_document_reverses_document_id", "reverses_document_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    document_type: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20))
    business_date: Mapped[date] = mapped_column(Date)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    to_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    counterpart_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    reverses_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    reversed_by_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    shipped_by: Mapped[str | None] = mapped_column(String(64))
    shipped_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    posted_by: Mapped[str | None] = mapped_column(String(64))
    posted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    state_since: Mapped[datetime | None] = mapped_column(UtcDateTime)  # entered its state


class DocumentLine(Base):
    __tablename__ = "document_line"
    __table_args__ = (UniqueConstraint("document_id", "line_no"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    base_quantity: Mapped[Decimal] = mapped_column(Quantity)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int | None] = mapped_column(ForeignKey("location.id"))
    batch_no: Mapped[str | None] = mapped_column(String(64))
    production_date: Mapped[date | None] = mapped_column(Date)
    expiry_date: Mapped[date | None] = mapped_column(Date)
    serials: Mapped[list[str] | None] = mapped_column(JSON)
    unit_cost: Mapped[Decimal | None] = mapped_column(UnitCost)  # per base unit
    reverses_line_id: Mapped[int | None] = mapped_column(ForeignKey("document_line.id"))
    # The unit cost as entered, per the line's unit (per 箱); NULL on lines before 0018.
    line_unit_cost: Mapped[Decimal | None] = mapped_column(UnitCost)


class StockLedgerEntry(Base):
    """库存流水: immutable; ``id`` is the strictly increasing ledger sequence."""

    __tablename__ = "stock_ledger_entry"
    __table_args__ = (
        Index("ix_stock_ledger_entry_item_date", "item_id", "business_date"),
        Index("ix_stock_ledger_entry_batch", "batch_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    document_line_id: Mapped[int] = mapped_column(ForeignKey("document_line.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    batch_id: Mapped[int] = mapped_column(Id, default=0)
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("serial_number.id"), index=True)
    from_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    to_location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost)
    value: Mapped[Decimal] = mapped_column(Money)
    business_date: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class StockBalance(Base):
    __tablename__ = "stock_balance"
    __table_args__ = (
        UniqueConstraint("item_id", "location_id", "batch_id"),
        Index("ix_stock_balance_location_item", "location_id", "item_id"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    batch_id: Mapped[int] = mapped_column(Id, default=0)
    on_hand: Mapped[Decimal] = mapped_column(Quantity)
    reserved: Mapped[Decimal] = mapped_column(Quantity)


class StockReservation(Base):
    """预占: stock a document holds for later (``stock_balance.reserved`` is their sum)."""

    __tablename__ = "stock_reservation"
    __table_args__ = (Index("ix_stock_reservation_balance", "item_id", "location_id", "batch_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)
    document_line_id: Mapped[int] = mapped_column(ForeignKey("document_line.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    batch_id: Mapped[int] = mapped_column(Id, default=0)
    # One document at a time holds a serial: two approvals racing for it cannot both win.
    serial_id: Mapped[int | None] = mapped_column(ForeignKey("serial_number.id"), unique=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StockCost(Base):
    """Moving-average pool per item and warehouse (in transit kept apart)."""

    __tablename__ = "stock_cost"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    in_transit: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    value: Mapped[Decimal] = mapped_column(Money)
    unit_cost: Mapped[Decimal] = mapped_column(UnitCost)


class DocumentSequence(Base):
    __tablename__ = "document_sequence"
    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class CatalogVersion(Base):
    """One row whose number every master-data change increments, so caches know to reload."""

    __tablename__ = "catalog_version"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)


class CompanySetting(Base):
    """A setting of the whole company that every process must agree on, such as its time zone."""

    __tablename__ = "company_setting"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RequestLog(Base):
    """Results of writes by request id, so a replayed request changes nothing (invariant 5)."""

    __tablename__ = "request_log"
    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    operation: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuditEvent(Base):
    """The audit trail: append-only, each row's hash chained to the row before (invariant 7)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_subject", "subject_type", "subject"),
        Index("ix_audit_event_actor", "actor", "occurred_at"),
        Index("ix_audit_event_occurred_at", "occurred_at"),
    )
    sequence: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(200))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON, hashed as stored
    previous_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditChain(Base):
    """The chain's head, one row: appending locks it, so concurrent writers queue up."""

    __tablename__ = "audit_chain"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_sequence: Mapped[int] = mapped_column(BigInteger)
    last_hash: Mapped[str] = mapped_column(String(64))


class AppUser(Base):
    """A person who signs in; the password is kept only as an argon2 hash."""

    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean)
    failed_logins: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FailedSignIn(Base):
    """Failed sign-ins under a name no user has.

    Counted and locked like a user's own, so the answers never tell which names exist.
    """

    __tablename__ = "failed_sign_in"
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    last_failed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UserGrant(Base):
    """A role of a user, in one warehouse or (``warehouse_id`` NULL) in all of them."""

    __tablename__ = "user_grant"
    __table_args__ = (Index("ix_user_grant_user", "user_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    role: Mapped[str] = mapped_column(String(32))
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))


class AuthSession(Base):
    """A signed-in session; only the token's SHA-256 is stored, the token stays with the user."""

    __tablename__ = "auth_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # An API token an admin issued for an integration has a name; a sign-in has none.
    name: Mapped[str | None] = mapped_column(String(100))
    issued_by: Mapped[str | None] = mapped_column(String(64))


class PeriodClose(Base):
    """结账: a closed month. Reopening (反结账) keeps the row, with who, when and why."""

    __tablename__ = "period_close"
    __table_args__ = (
        # One close in force per month: two people closing it at once cannot both succeed.
        Index(
            "ix_period_close_in_force",
            "period_start",
            unique=True,
            sqlite_where=text("reopened_at IS NULL"),
            postgresql_where=text("reopened_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    closed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    closed_by: Mapped[str] = mapped_column(String(64))
    reopened_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reopened_by: Mapped[str | None] = mapped_column(String(64))
    reopen_reason: Mapped[str | None] = mapped_column(String(500))


class PeriodSnapshot(Base):
    """Quantity and value per (item, owned location, batch) at a closed month's last day."""

    __tablename__ = "period_snapshot"
    period_close_id: Mapped[int] = mapped_column(ForeignKey("period_close.id"), primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"), primary_key=True)
    batch_id: Mapped[int] = mapped_column(Id, primary_key=True)
    quantity: Mapped[Decimal] = mapped_column(Quantity)
    value: Mapped[Decimal] = mapped_column(Money)


class WorkflowDefinition(Base):
    """The workflow each document type follows: its YAML source as installed."""

    __tablename__ = "workflow_definition"
    document_type: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    installed_by: Mapped[str] = mapped_column(String(64))
    installed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OutboxEvent(Base):
    """Events for the world outside (webhooks, the web UI), delivered later.

    Each is written in the same transaction as what it reports; ``key`` makes it happen once.
    """

    __tablename__ = "outbox_event"
    __table_args__ = (Index("ix_outbox_event_pending", "delivered_at", "id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    topic: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200), unique=True)
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Partner(Base):
    """往来单位: a supplier, a customer, or a sales channel (a store, an online shop)."""

    __tablename__ = "partner"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), index=True)
    contact: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(300))
    default_warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouse.id"))
    channel_kind: Mapped[str | None] = mapped_column(String(20))  # store / online
    platform: Mapped[str | None] = mapped_column(String(40))  # 天猫, 京东, 抖店 …
    # Units of every item a channel keeps back from what it offers (可售 = 可用 − buffer).
    safety_buffer: Mapped[Decimal] = mapped_column(Quantity, default=Decimal(0))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ChannelWarehouse(Base):
    """The warehouses a sales channel sells from."""

    __tablename__ = "channel_warehouse"
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)


class DocumentPartner(Base):
    """A document's partner: the supplier of a receipt, the customer or channel of an issue.

    A table of its own, so that adding it did not rebuild the document table.
    """

    __tablename__ = "document_partner"
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), index=True)


Rate = ExactDecimal(4)


class LinePrice(Base):
    """单价, 税率, 折扣 and the line's money (价税合计) on an order or a delivery line."""

    __tablename__ = "line_price"
    document_line_id: Mapped[int] = mapped_column(ForeignKey("document_line.id"), primary_key=True)
    unit_price: Mapped[Decimal] = mapped_column(UnitCost)
    tax_rate: Mapped[Decimal] = mapped_column(Rate)
    discount_rate: Mapped[Decimal] = mapped_column(Rate)
    includes_tax: Mapped[bool] = mapped_column(Boolean)
    discount: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    tax: Mapped[Decimal] = mapped_column(Money)
    amount_incl_tax: Mapped[Decimal] = mapped_column(Money)


class DocumentSource(Base):
    """下推: the order a document was made from (源单)."""

    __tablename__ = "document_source"
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), primary_key=True)
    source_document_id: Mapped[int] = mapped_column(ForeignKey("document.id"), index=True)


class LineSource(Base):
    """The order line a delivery line fulfils."""

    __tablename__ = "line_source"
    document_line_id: Mapped[int] = mapped_column(ForeignKey("document_line.id"), primary_key=True)
    source_line_id: Mapped[int] = mapped_column(ForeignKey("document_line.id"), index=True)


class OrderLine(Base):
    """An order line's progress: ``delivered`` grows by a guarded UPDATE, never past ``ordered``.

    Both in the base unit; a delivery's reversal gives its quantity back.
    """

    __tablename__ = "order_line"
    document_line_id: Mapped[int] = mapped_column(ForeignKey("document_line.id"), primary_key=True)
    ordered: Mapped[Decimal] = mapped_column(Quantity)
    delivered: Mapped[Decimal] = mapped_column(Quantity)


class ItemTolerance(Base):
    """超订单入库: how far over its purchase order an item may be received, in percent."""

    __tablename__ = "item_tolerance"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    over_receipt_percent: Mapped[Decimal] = mapped_column(Rate)


class StockChange(Base):
    """变更流: the items one transaction changed the stock or reservations of.

    ``sequence`` is the audit sequence of the transaction's last event: taken under the
    audit chain's lock, held until the commit, so sequences are in commit order on every
    engine, and a shop polling "since N" never misses a change committed later.
    ``item_ids`` holds [item id, warehouse id] pairs; rows written before the feed named
    warehouses hold bare item ids (changed in a warehouse not recorded).
    """

    __tablename__ = "stock_change"
    sequence: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    item_ids: Mapped[list[list[int] | int]] = mapped_column(JSON)


class ExternalOrder(Base):
    """A shop's order number, imported once per channel as one of our sales orders."""

    __tablename__ = "external_order"
    partner_id: Mapped[int] = mapped_column(ForeignKey("partner.id"), primary_key=True)
    external_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("document.id"))


class Stocktake(Base):
    """盘点单: a count of one warehouse's scope, frozen when it starts."""

    __tablename__ = "stocktake"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), index=True)
    state: Mapped[str] = mapped_column(String(20))
    blind: Mapped[bool] = mapped_column(Boolean)
    tolerance_percent: Mapped[Decimal] = mapped_column(Rate)
    scope: Mapped[dict[str, object]] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(500))
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    started_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_by: Mapped[str | None] = mapped_column(String(64))
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    gain_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    loss_document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))


class StocktakeLine(Base):
    """One (item, location, batch) of a stocktake: the book at the freeze and its counts.

    ``book_at_count`` is the book when the count was taken (the freeze plus the moves
    since), so goods moved during the count are not taken for a difference.
    """

    __tablename__ = "stocktake_line"
    __table_args__ = (UniqueConstraint("stocktake_id", "item_id", "location_id", "batch_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("location.id"))
    batch_id: Mapped[int] = mapped_column(Id, default=0)
    book_quantity: Mapped[Decimal] = mapped_column(Quantity)
    counted: Mapped[Decimal | None] = mapped_column(Quantity)
    counted_by: Mapped[str | None] = mapped_column(String(64))
    counted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    book_at_count: Mapped[Decimal | None] = mapped_column(Quantity)
    needs_recount: Mapped[bool] = mapped_column(Boolean, default=False)
    recounted: Mapped[Decimal | None] = mapped_column(Quantity)
    recounted_by: Mapped[str | None] = mapped_column(String(64))
    recounted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    book_at_recount: Mapped[Decimal | None] = mapped_column(Quantity)


class StocktakeSerial(Base):
    """A serial number counted on a stocktake line: on the first count or on the recount.

    One unit is counted once a pass: the same serial at two locations of one stocktake is
    a double read, not two units.
    """

    __tablename__ = "stocktake_serial"
    __table_args__ = (UniqueConstraint("stocktake_id", "item_id", "recount", "serial_no"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    stocktake_id: Mapped[int] = mapped_column(ForeignKey("stocktake.id"))
    line_id: Mapped[int] = mapped_column(ForeignKey("stocktake_line.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    recount: Mapped[bool] = mapped_column(Boolean)
    serial_no: Mapped[str] = mapped_column(String(64))
    counted_by: Mapped[str] = mapped_column(String(64))
    counted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StockLevel(Base):
    """安全库存 / 再订货点 / 最高库存 of one item in one warehouse, in its base unit."""

    __tablename__ = "stock_level"
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"), primary_key=True)
    safety_stock: Mapped[Decimal] = mapped_column(Quantity)
    reorder_point: Mapped[Decimal] = mapped_column(Quantity)
    max_quantity: Mapped[Decimal] = mapped_column(Quantity)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StockRefusal(Base):
    """拒绝超卖: one short line of a posting or reservation refused for want of stock.

    Written in its own transaction after the refused one rolled back, so the attempt is
    known although it changed nothing. A request id and the line's position make a replayed
    request recorded once (NULL request ids never collide).
    """

    __tablename__ = "stock_refusal"
    __table_args__ = (
        UniqueConstraint("request_id", "position"),
        Index("ix_stock_refusal_refused_at", "refused_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    refused_at: Mapped[datetime] = mapped_column(UtcDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(String(32))  # its number; gone if it was rolled back
    document_type: Mapped[str] = mapped_column(String(32))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouse.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    location: Mapped[str] = mapped_column(String(64))
    lines: Mapped[str] = mapped_column(String(200))
    requested: Mapped[Decimal] = mapped_column(Quantity)
    available: Mapped[Decimal] = mapped_column(Quantity)
    request_id: Mapped[str | None] = mapped_column(String(128))
    position: Mapped[int] = mapped_column(Integer)


class AlertEpisode(Base):
    """The alerts ``publish_alerts`` has seen: how often each began, and whether it is open.

    An alert that clears and comes back starts a new episode, published again.
    """

    __tablename__ = "alert_episode"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    episode: Mapped[int] = mapped_column(Integer)
    open: Mapped[bool] = mapped_column(Boolean)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
