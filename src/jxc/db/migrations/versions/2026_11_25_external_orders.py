"""Shop orders imported: each shop order number once per channel.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "external_order",
        sa.Column("partner_id", _ID, nullable=False),
        sa.Column("external_number", sa.String(64), nullable=False),
        sa.Column("document_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_external_order_partner_id_partner")
        ),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_external_order_document_id_document")
        ),
        sa.PrimaryKeyConstraint("partner_id", "external_number", name=op.f("pk_external_order")),
    )


def downgrade() -> None:
    op.drop_table("external_order")
