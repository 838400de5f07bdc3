"""The company's settings, kept in the database so that every process agrees on them.

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-26 16:00:00

The first is the company's time zone: its business day, document numbers and the times
shown. It was read from each process's own environment, so a server and a script with
different ``JXC_TIMEZONE`` could disagree on what day it is. ``jxc init`` records the
zone of the process that upgrades (what it used so far); ``jxc company timezone`` changes it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "company_setting",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_company_setting")),
    )


def downgrade() -> None:
    op.drop_table("company_setting")
