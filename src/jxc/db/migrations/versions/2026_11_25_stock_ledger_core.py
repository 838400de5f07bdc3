"""Stock ledger core: catalog, documents, ledger, balances, cost pools, requests.

Revision ID: 0001
Revises:
Create Date: 2026-11-25 09:39:06.798130
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    catalog_version = op.create_table(
        "catalog_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
    )
    op.bulk_insert(catalog_version, [{"id": 1, "version": 0}])
    op.create_table(
        "document_sequence",
        sa.Column("prefix", sa.String(length=8), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("prefix", "day", name=op.f("pk_document_sequence")),
    )
    op.create_table(
        "request_log",
        sa.Column("request_id", sa.String(length=128), nullable=False),
        sa.Column("operation", sa.String(length=64), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name=op.f("pk_request_log")),
    )
    op.create_table(
        "unit",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit")),
        sa.UniqueConstraint("code", name=op.f("uq_unit_code")),
    )
    op.create_table(
        "warehouse",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("allow_negative_stock", sa.Boolean(), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouse")),
        sa.UniqueConstraint("code", name=op.f("uq_warehouse_code")),
    )
    op.create_table(
        "item",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("specification", sa.String(length=200), nullable=True),
        sa.Column(
            "base_unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("tracking", sa.String(length=10), nullable=False),
        sa.Column("shelf_life_days", sa.Integer(), nullable=True),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["base_unit_id"], ["unit.id"], name=op.f("fk_item_base_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item")),
        sa.UniqueConstraint("code", name=op.f("uq_item_code")),
    )
    op.create_table(
        "location",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("usage", sa.String(length=20), nullable=True),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["location.id"], name=op.f("fk_location_parent_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_location_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
        sa.UniqueConstraint("warehouse_id", "code", name=op.f("uq_location_warehouse_id_code")),
    )
    op.create_table(
        "batch",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_no", sa.String(length=64), nullable=False),
        sa.Column("production_date", sa.Date(), nullable=False),
        sa.Column("expiry_date", sa.Date(), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_batch_item_id_item")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_batch")),
        sa.UniqueConstraint("item_id", "batch_no", name=op.f("uq_batch_item_id_batch_no")),
    )
    op.create_table(
        "document",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("document_type", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "to_warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "counterpart_location_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "reverses_document_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column(
            "reversed_by_document_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=True,
        ),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("shipped_by", sa.String(length=64), nullable=True),
        sa.Column("shipped_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.Column("posted_by", sa.String(length=64), nullable=True),
        sa.Column("posted_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["counterpart_location_id"],
            ["location.id"],
            name=op.f("fk_document_counterpart_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["reversed_by_document_id"],
            ["document.id"],
            name=op.f("fk_document_reversed_by_document_id_document"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_document_id"],
            ["document.id"],
            name=op.f("fk_document_reverses_document_id_document"),
        ),
        sa.ForeignKeyConstraint(
            ["to_warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_document_to_warehouse_id_warehouse"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_document_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
        sa.UniqueConstraint("number", name=op.f("uq_document_number")),
    )
    op.create_table(
        "item_barcode",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("barcode", sa.String(length=64), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_item_barcode_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_item_barcode_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_item_barcode")),
        sa.UniqueConstraint("barcode", name=op.f("uq_item_barcode_barcode")),
    )
    with op.batch_alter_table("item_barcode", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_item_barcode_item_id"), ["item_id"], unique=False)

    op.create_table(
        "item_unit",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("ratio", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_item_unit_item_id_item")),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"], name=op.f("fk_item_unit_unit_id_unit")),
        sa.PrimaryKeyConstraint("item_id", "unit_id", name=op.f("pk_item_unit")),
    )
    op.create_table(
        "serial_number",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("serial_no", sa.String(length=64), nullable=False),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_serial_number_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_serial_number_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_serial_number")),
        sa.UniqueConstraint(
            "item_id", "serial_no", name=op.f("uq_serial_number_item_id_serial_no")
        ),
    )
    op.create_table(
        "stock_balance",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("on_hand", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("reserved", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_balance_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stock_balance_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_balance")),
        sa.UniqueConstraint(
            "item_id",
            "location_id",
            "batch_id",
            name=op.f("uq_stock_balance_item_id_location_id_batch_id"),
        ),
    )
    with op.batch_alter_table("stock_balance", schema=None) as batch_op:
        batch_op.create_index(
            "ix_stock_balance_location_item", ["location_id", "item_id"], unique=False
        )

    op.create_table(
        "stock_cost",
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("in_transit", sa.Boolean(), nullable=False),
        sa.Column("quantity", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("value", jxc.db.types.ExactDecimal(2), nullable=False),
        sa.Column("unit_cost", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_stock_cost_item_id_item")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_stock_cost_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint(
            "item_id", "warehouse_id", "in_transit", name=op.f("pk_stock_cost")
        ),
    )
    op.create_table(
        "document_line",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("unit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("base_quantity", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column(
            "location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "to_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("batch_no", sa.String(length=64), nullable=True),
        sa.Column("production_date", sa.Date(), nullable=True),
        sa.Column("expiry_date", sa.Date(), nullable=True),
        sa.Column("serials", sa.JSON(), nullable=True),
        sa.Column("unit_cost", jxc.db.types.ExactDecimal(6), nullable=True),
        sa.Column(
            "reverses_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_document_line_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_document_line_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_document_line_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_line_id"],
            ["document_line.id"],
            name=op.f("fk_document_line_reverses_line_id_document_line"),
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["location.id"],
            name=op.f("fk_document_line_to_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["unit.id"], name=op.f("fk_document_line_unit_id_unit")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_line")),
        sa.UniqueConstraint(
            "document_id", "line_no", name=op.f("uq_document_line_document_id_line_no")
        ),
    )
    op.create_table(
        "stock_ledger_entry",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "document_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "document_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("item_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("serial_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "from_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "to_location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("unit_cost", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("value", jxc.db.types.ExactDecimal(2), nullable=False),
        sa.Column("business_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["document.id"],
            name=op.f("fk_stock_ledger_entry_document_id_document"),
        ),
        sa.ForeignKeyConstraint(
            ["document_line_id"],
            ["document_line.id"],
            name=op.f("fk_stock_ledger_entry_document_line_id_document_line"),
        ),
        sa.ForeignKeyConstraint(
            ["from_location_id"],
            ["location.id"],
            name=op.f("fk_stock_ledger_entry_from_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_ledger_entry_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["serial_id"],
            ["serial_number.id"],
            name=op.f("fk_stock_ledger_entry_serial_id_serial_number"),
        ),
        sa.ForeignKeyConstraint(
            ["to_location_id"],
            ["location.id"],
            name=op.f("fk_stock_ledger_entry_to_location_id_location"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_ledger_entry")),
    )
    with op.batch_alter_table("stock_ledger_entry", schema=None) as batch_op:
        batch_op.create_index("ix_stock_ledger_entry_batch", ["batch_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_stock_ledger_entry_document_id"), ["document_id"], unique=False
        )
        batch_op.create_index(
            "ix_stock_ledger_entry_item_date", ["item_id", "business_date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_stock_ledger_entry_serial_id"), ["serial_id"], unique=False
        )


def downgrade() -> None:
    op.drop_table("catalog_version")
    with op.batch_alter_table("stock_ledger_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_stock_ledger_entry_serial_id"))
        batch_op.drop_index("ix_stock_ledger_entry_item_date")
        batch_op.drop_index(batch_op.f("ix_stock_ledger_entry_document_id"))
        batch_op.drop_index("ix_stock_ledger_entry_batch")

    op.drop_table("stock_ledger_entry")
    op.drop_table("document_line")
    op.drop_table("stock_cost")
    with op.batch_alter_table("stock_balance", schema=None) as batch_op:
        batch_op.drop_index("ix_stock_balance_location_item")

    op.drop_table("stock_balance")
    op.drop_table("serial_number")
    op.drop_table("item_unit")
    with op.batch_alter_table("item_barcode", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_item_barcode_item_id"))

    op.drop_table("item_barcode")
    op.drop_table("document")
    op.drop_table("batch")
    op.drop_table("location")
    op.drop_table("item")
    op.drop_table("warehouse")
    op.drop_table("unit")
    op.drop_table("request_log")
    op.drop_table("document_sequence")
