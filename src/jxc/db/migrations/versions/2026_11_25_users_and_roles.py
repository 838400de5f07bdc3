"""Users, role grants scoped to warehouses, sign-in sessions.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 13:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "app_user",
        sa.Column("id", _ID, nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("username", name=op.f("uq_app_user_username")),
    )
    op.create_table(
        "user_grant",
        sa.Column("id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("warehouse_id", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_user_grant_user_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouse.id"], name=op.f("fk_user_grant_warehouse_id_warehouse")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_grant")),
    )
    op.create_index("ix_user_grant_user", "user_grant", ["user_id"])
    op.create_table(
        "auth_session",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("created_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("expires_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("ended_at", jxc.db.types.UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_auth_session_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_auth_session")),
    )


def downgrade() -> None:
    op.drop_table("auth_session")
    op.drop_index("ix_user_grant_user", table_name="user_grant")
    op.drop_table("user_grant")
    op.drop_table("app_user")
