"""Sales orders and deliveries: line prices, 下推 links, order-line progress.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 22:20:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _line_key(table: str) -> list[Any]:
    return [
        sa.Column("document_line_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_line_id"],
            ["document_line.id"],
            name=op.f(f"fk_{table}_document_line_id_document_line"),
        ),
        sa.PrimaryKeyConstraint("document_line_id", name=op.f(f"pk_{table}")),
    ]


def upgrade() -> None:
    money = jxc.db.types.ExactDecimal(2)
    op.create_table(
        "line_price",
        *_line_key("line_price"),
        sa.Column("unit_price", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("tax_rate", jxc.db.types.ExactDecimal(4), nullable=False),
        sa.Column("discount_rate", jxc.db.types.ExactDecimal(4), nullable=False),
        sa.Column("includes_tax", sa.Boolean(), nullable=False),
        sa.Column("discount", money, nullable=False),
        sa.Column("amount", money, nullable=False),
        sa.Column("tax", money, nullable=False),
        sa.Column("amount_incl_tax", money, nullable=False),
    )
    op.create_table(
        "document_source",
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("source_document_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_document_source_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["source_document_id"],
            ["document.id"],
            name=op.f("fk_document_source_source_document_id_document"),
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_source")),
    )
    op.create_index(
        op.f("ix_document_source_source_document_id"), "document_source", ["source_document_id"]
    )
    op.create_table(
        "line_source",
        *_line_key("line_source"),
        sa.Column("source_line_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_line_id"],
            ["document_line.id"],
            name=op.f("fk_line_source_source_line_id_document_line"),
        ),
    )
    op.create_index(op.f("ix_line_source_source_line_id"), "line_source", ["source_line_id"])
    op.create_table(
        "order_line",
        *_line_key("order_line"),
        sa.Column("ordered", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("delivered", jxc.db.types.ExactDecimal(6), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_line")
    op.drop_index(op.f("ix_line_source_source_line_id"), table_name="line_source")
    op.drop_table("line_source")
    op.drop_index(op.f("ix_document_source_source_document_id"), table_name="document_source")
    op.drop_table("document_source")
    op.drop_table("line_price")
