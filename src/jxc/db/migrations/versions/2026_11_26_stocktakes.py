"""Stocktakes (盘点): the plan with its frozen book, and each line's counts.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-26 00:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _quantity() -> jxc.db.types.ExactDecimal:
    return jxc.db.types.ExactDecimal(6)


def upgrade() -> None:
    op.create_table(
        "stocktake",
        sa.Column("id", _ID, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", _ID, nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("blind", sa.Boolean(), nullable=False),
        sa.Column("tolerance_percent", jxc.db.types.ExactDecimal(4), nullable=False),
        sa.Column("scope", sa.JSON(), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=True),
        sa.Column("started_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.Column("finished_by", sa.String(length=64), nullable=True),
        sa.Column("finished_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.Column("gain_document_id", _ID, nullable=True),
        sa.Column("loss_document_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_stocktake_warehouse_id_warehouse")
        ),
        sa.ForeignKeyConstraint(
            ["gain_document_id"],
            ["document.id"],
            name=op.f("fk_stocktake_gain_document_id_document"),
        ),
        sa.ForeignKeyConstraint(
            ["loss_document_id"],
            ["document.id"],
            name=op.f("fk_stocktake_loss_document_id_document"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake")),
        sa.UniqueConstraint("number", name=op.f("uq_stocktake_number")),
    )
    op.create_index(op.f("ix_stocktake_warehouse_id"), "stocktake", ["warehouse_id"])
    op.create_table(
        "stocktake_line",
        sa.Column("id", _ID, nullable=False),
        sa.Column("stocktake_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("location_id", _ID, nullable=False),
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("book_quantity", _quantity(), nullable=False),
        sa.Column("counted", _quantity(), nullable=True),
        sa.Column("counted_by", sa.String(length=64), nullable=True),
        sa.Column("counted_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.Column("book_at_count", _quantity(), nullable=True),
        sa.Column("needs_recount", sa.Boolean(), nullable=False),
        sa.Column("recounted", _quantity(), nullable=True),
        sa.Column("recounted_by", sa.String(length=64), nullable=True),
        sa.Column("recounted_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.Column("book_at_recount", _quantity(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
            name=op.f("fk_stocktake_line_stocktake_id_stocktake"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stocktake_line_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stocktake_line_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_line")),
        sa.UniqueConstraint(
            "stocktake_id",
            "item_id",
            "location_id",
            "batch_id",
            name=op.f("uq_stocktake_line_stocktake_id_item_id_location_id_batch_id"),
        ),
    )
    op.create_index(op.f("ix_stocktake_line_item_id"), "stocktake_line", ["item_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stocktake_line_item_id"), table_name="stocktake_line")
    op.drop_table("stocktake_line")
    op.drop_index(op.f("ix_stocktake_warehouse_id"), table_name="stocktake")
    op.drop_table("stocktake")
