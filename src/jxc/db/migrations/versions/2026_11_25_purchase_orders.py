"""Purchase orders and sales returns: each item's over-receipt tolerance (超订单入库), and
what a posted delivery's lines may take back.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25 22:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "item_tolerance",
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("over_receipt_percent", jxc.db.types.ExactDecimal(4), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_item_tolerance_item_id_item")
        ),
        sa.PrimaryKeyConstraint("item_id", name=op.f("pk_item_tolerance")),
    )
    # A delivery posted before returns existed may be returned to in full (both columns
    # hold the same scaled numbers on SQLite, so copying keeps them exact).
    op.execute(
        "INSERT INTO order_line (document_line_id, ordered, delivered) "
        "SELECT line.id, line.base_quantity, 0 FROM document_line line "
        "JOIN document ON document.id = line.document_id "
        "WHERE document.document_type = 'sales_delivery' AND document.posted_at IS NOT NULL"
    )


def downgrade() -> None:
    op.execute(
        "DELETE FROM order_line WHERE document_line_id IN (SELECT line.id FROM document_line "
        "line JOIN document ON document.id = line.document_id "
        "WHERE document.document_type = 'sales_delivery')"
    )
    op.drop_table("item_tolerance")
