"""A document's partner: the supplier a receipt is from, the customer an issue goes to.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "document_partner",
        sa.Column("document_id", _ID, nullable=False),
        sa.Column("partner_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"], ["document.id"], name=op.f("fk_document_partner_document_id_document")
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partner.id"], name=op.f("fk_document_partner_partner_id_partner")
        ),
        sa.PrimaryKeyConstraint("document_id", name=op.f("pk_document_partner")),
    )
    op.create_index(op.f("ix_document_partner_partner_id"), "document_partner", ["partner_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_document_partner_partner_id"), table_name="document_partner")
    op.drop_table("document_partner")
