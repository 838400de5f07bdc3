"""Stock levels (安全库存, 再订货点, 最高库存) per item and warehouse.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-26 01:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _quantity() -> jxc.db.types.ExactDecimal:
    return jxc.db.types.ExactDecimal(6)


def upgrade() -> None:
    op.create_table(
        "stock_level",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("warehouse_id", _ID, nullable=False),
        sa.Column("safety_stock", _quantity(), nullable=False),
        sa.Column("reorder_point", _quantity(), nullable=False),
        sa.Column("max_quantity", _quantity(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["item.id"], name=op.f("fk_stock_level_item_id_item")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_stock_level_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("item_id", "warehouse_id", name=op.f("pk_stock_level")),
    )


def downgrade() -> None:
    op.drop_table("stock_level")
