"""API tokens: a named, long-lived session an admin issues for an integration.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 18:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nullable columns only: SQLite adds them in place (no table rebuild).
    op.add_column("auth_session", sa.Column("name", sa.String(length=100), nullable=True))
    op.add_column("auth_session", sa.Column("issued_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("auth_session") as batch:
        batch.drop_column("issued_by")
        batch.drop_column("name")
