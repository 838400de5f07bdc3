"""Period close (结账): closed months and their balance snapshots.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 13:52:46.470563
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_IN_FORCE = sa.text("reopened_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "period_close",
        sa.Column("id", _ID, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("closed_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("closed_by", sa.String(length=64), nullable=False),
        sa.Column("reopened_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.Column("reopened_by", sa.String(length=64), nullable=True),
        sa.Column("reopen_reason", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_close")),
    )
    op.create_index(
        "ix_period_close_in_force",
        "period_close",
        ["period_start"],
        unique=True,
        sqlite_where=_IN_FORCE,
        postgresql_where=_IN_FORCE,
    )
    op.create_table(
        "period_snapshot",
        sa.Column("period_close_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("location_id", _ID, nullable=False),
        sa.Column("batch_id", _ID, nullable=False),
        sa.Column("quantity", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("value", jxc.db.types.ExactDecimal(2), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_period_snapshot_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_period_snapshot_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["period_close_id"],
            ["period_close.id"],
            name=op.f("fk_period_snapshot_period_close_id_period_close"),
        ),
        sa.PrimaryKeyConstraint(
            "period_close_id", "item_id", "location_id", "batch_id", name=op.f("pk_period_snapshot")
        ),
    )


def downgrade() -> None:
    op.drop_table("period_snapshot")
    op.drop_index("ix_period_close_in_force", table_name="period_close")
    op.drop_table("period_close")
