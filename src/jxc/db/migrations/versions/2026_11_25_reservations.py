"""Reservations (预占): the stock an approved document holds until it is executed.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stock_reservation",
        sa.Column("id", _ID, nullable=False),
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("document_line_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("location_id", _ID, nullable=False),
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("serial_id", _ID, nullable=True),
        sa.Column("quantity", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_stock_reservation_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["document_line_id"],
            ["document_line.id"],
            name=op.f("fk_stock_reservation_document_line_id_document_line"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_reservation_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_stock_reservation_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["serial_id"],
            ["serial_number.id"],
            name=op.f("fk_stock_reservation_serial_id_serial_number"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_reservation")),
        sa.UniqueConstraint("serial_id", name=op.f("uq_stock_reservation_serial_id")),
    )
    op.create_index(
        "ix_stock_reservation_balance",
        "stock_reservation",
        ["item_id", "location_id", "batch_id"],
    )
    op.create_index(op.f("ix_stock_reservation_document_id"), "stock_reservation", ["document_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stock_reservation_document_id"), table_name="stock_reservation")
    op.drop_index("ix_stock_reservation_balance", table_name="stock_reservation")
    op.drop_table("stock_reservation")
