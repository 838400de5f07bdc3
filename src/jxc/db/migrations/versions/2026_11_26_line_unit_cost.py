"""A document line keeps its unit cost as entered, per the line's own unit.

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-26 14:00:00

``unit_cost`` stays per base unit (what stock is valued at); ``line_unit_cost`` is what
the user gave per the line's unit (per 箱), so that the line is worth exactly its
quantity times it and is shown and edited as entered. Lines written before keep NULL
there and are shown from ``unit_cost``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "document_line", sa.Column("line_unit_cost", jxc.db.types.ExactDecimal(6), nullable=True)
    )


def downgrade() -> None:
    # Not a batch (copy, drop, rename) on SQLite: lines are referenced by ledger entries.
    op.execute("ALTER TABLE document_line DROP COLUMN line_unit_cost")
