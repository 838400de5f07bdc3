"""Serial numbers counted in a stocktake, so that serial-tracked goods are counted by unit.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-27 12:00:00

Counts of serial-tracked items held a quantity only: the same unit scanned twice counted
two, and approval could not say which units were missing or found.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "stocktake_serial",
        sa.Column("id", _ID, nullable=False),
        sa.Column("stocktake_id", _ID, nullable=False),
        sa.Column("line_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("recount", sa.Boolean(), nullable=False),
        sa.Column("serial_no", sa.String(length=64), nullable=False),
        sa.Column("counted_by", sa.String(length=64), nullable=False),
        sa.Column("counted_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["stocktake_id"],
            ["stocktake.id"],
            name=op.f("fk_stocktake_serial_stocktake_id_stocktake"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["stocktake_line.id"],
            name=op.f("fk_stocktake_serial_line_id_stocktake_line"),
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stocktake_serial_item_id_item")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stocktake_serial")),
        sa.UniqueConstraint(
            "stocktake_id",
            "item_id",
            "recount",
            "serial_no",
            name=op.f("uq_stocktake_serial_stocktake_id_item_id_recount_serial_no"),
        ),
    )
    op.create_index(op.f("ix_stocktake_serial_line_id"), "stocktake_serial", ["line_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_stocktake_serial_line_id"), table_name="stocktake_serial")
    op.drop_table("stocktake_serial")
