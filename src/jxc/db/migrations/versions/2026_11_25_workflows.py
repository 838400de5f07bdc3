"""Workflows as data: each document type's definition, when a document entered its state,
and the outbox.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 16:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # Nullable: NOT NULL would rebuild the table on SQLite, which the foreign keys of its
    # lines and ledger entries forbid. Every step sets it.
    op.add_column("document", sa.Column("state_since", jxc.db.types.UtcDateTime(), nullable=True))
    # A document already there entered its state when it was last posted, shipped or made.
    op.execute("UPDATE document SET state_since = COALESCE(posted_at, shipped_at, created_at)")
    op.create_index("ix_document_type_state", "document", ["document_type", "state"])
    op.create_index("ix_document_reverses_document_id", "document", ["reverses_document_id"])
    op.create_table(
        "workflow_definition",
        sa.Column("document_type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("installed_by", sa.String(length=64), nullable=False),
        sa.Column("installed_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("document_type", name=op.f("pk_workflow_definition")),
    )
    op.create_table(
        "outbox_event",
        sa.Column("id", _ID, nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("delivered_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_event")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_event_key")),
    )
    op.create_index("ix_outbox_event_pending", "outbox_event", ["delivered_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_event_pending", table_name="outbox_event")
    op.drop_table("outbox_event")
    op.drop_table("workflow_definition")
    op.drop_index("ix_document_reverses_document_id", table_name="document")
    op.drop_index("ix_document_type_state", table_name="document")
    op.drop_column("document", "state_since")
