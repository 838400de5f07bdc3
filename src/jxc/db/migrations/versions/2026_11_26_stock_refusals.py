"""Refused oversell attempts (拒绝超卖) and the episodes of published alerts.

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-26 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _quantity() -> jxc.db.types.ExactDecimal:
    return jxc.db.types.ExactDecimal(6)


def upgrade() -> None:
    op.create_table(
        "stock_refusal",
        sa.Column("id", _ID, nullable=False),
        sa.Column("refused_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("document", sa.String(length=32), nullable=False),
        sa.Column("document_type", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", _ID, nullable=False),
        sa.Column("item_id", _ID, nullable=False),
        sa.Column("location", sa.String(length=64), nullable=False),
        sa.Column("lines", sa.String(length=200), nullable=False),
        sa.Column("requested", _quantity(), nullable=False),
        sa.Column("available", _quantity(), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["item_id"], ["item.id"], name=op.f("fk_stock_refusal_item_id_item")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_stock_refusal_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_refusal")),
        sa.UniqueConstraint(
            "request_id", "position", name=op.f("uq_stock_refusal_request_id_position")
        ),
    )
    op.create_index("ix_stock_refusal_refused_at", "stock_refusal", ["refused_at"])
    episodes = op.create_table(
        "alert_episode",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("episode", sa.Integer(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("changed_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_alert_episode")),
    )
    # Every alert published before is taken as still open: the next publish closes those
    # gone since, and one that never cleared is not published a second time.
    outbox = sa.table(
        "outbox_event",
        sa.column("topic", sa.String),
        sa.column("key", sa.String),
        sa.column("created_at", jxc.db.types.UtcDateTime()),
    )
    assert episodes is not None
    op.execute(
        episodes.insert().from_select(
            ["key", "episode", "open", "changed_at"],
            sa.select(outbox.c.key, sa.literal(1), sa.literal(True), outbox.c.created_at).where(
                outbox.c.topic == "stock.alert"
            ),
        )
    )


def downgrade() -> None:
    op.drop_table("alert_episode")
    op.drop_index("ix_stock_refusal_refused_at", table_name="stock_refusal")
    op.drop_table("stock_refusal")
