"""Failed sign-ins under names no user has, locked like a user's own.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "failed_sign_in",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("username", name=op.f("pk_failed_sign_in")),
    )


def downgrade() -> None:
    op.drop_table("failed_sign_in")
