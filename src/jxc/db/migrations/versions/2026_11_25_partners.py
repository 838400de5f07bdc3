"""Partners (往来单位): suppliers, customers and sales channels with their warehouses.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 20:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "partner",
        sa.Column("id", _ID, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("contact", sa.String(length=100), nullable=True),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=300), nullable=True),
        sa.Column("default_warehouse_id", _ID, nullable=True),
        sa.Column("channel_kind", sa.String(length=20), nullable=True),
        sa.Column("platform", sa.String(length=40), nullable=True),
        sa.Column("safety_buffer", jxc.db.types.ExactDecimal(6), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["default_warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_partner_default_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
        sa.UniqueConstraint("code", name=op.f("uq_partner_code")),
    )
    op.create_index(op.f("ix_partner_kind"), "partner", ["kind"])
    op.create_table(
        "channel_warehouse",
        sa.Column("partner_id", _ID, nullable=False),
        sa.Column("warehouse_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_channel_warehouse_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouse.id"],
            name=op.f("fk_channel_warehouse_warehouse_id_warehouse"),
        ),
        sa.PrimaryKeyConstraint("partner_id", "warehouse_id", name=op.f("pk_channel_warehouse")),
    )


def downgrade() -> None:
    op.drop_table("channel_warehouse")
    op.drop_index(op.f("ix_partner_kind"), table_name="partner")
    op.drop_table("partner")
