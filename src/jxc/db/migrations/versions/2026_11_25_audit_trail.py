"""Audit trail: hash-chained audit events and the chain's head.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 13:12:43.458791
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import jxc.db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64  # as jxc.domain.audit, frozen here as this revision wrote it
_REFUSAL = "audit events are append-only"


def _append_only(dialect: str) -> list[str]:
    """The database itself refuses UPDATE and DELETE on audit events (the chain catches
    whoever drops this guard first)."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
            f"BEGIN SELECT RAISE(ABORT, '{_REFUSAL}'); END"
            for verb in ("UPDATE", "DELETE")
        ]
    return [
        "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{_REFUSAL}'; END $$",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ]


def upgrade() -> None:
    audit_chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last_sequence", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    op.bulk_insert(audit_chain, [{"id": 1, "last_sequence": 0, "last_hash": GENESIS_HASH}])
    op.create_table(
        "audit_event",
        sa.Column(
            "sequence",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("occurred_at", jxc.db.types.UtcDateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=32), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("from_state", sa.String(length=32), nullable=True),
        sa.Column("to_state", sa.String(length=32), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_audit_event")),
    )
    op.create_index("ix_audit_event_actor", "audit_event", ["actor", "occurred_at"])
    op.create_index("ix_audit_event_occurred_at", "audit_event", ["occurred_at"])
    op.create_index("ix_audit_event_subject", "audit_event", ["subject_type", "subject"])
    for statement in _append_only(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    op.drop_index("ix_audit_event_subject", table_name="audit_event")
    op.drop_index("ix_audit_event_occurred_at", table_name="audit_event")
    op.drop_index("ix_audit_event_actor", table_name="audit_event")
    op.drop_table("audit_event")  # its triggers go with it
    if op.get_bind().dialect.name != "sqlite":
        op.execute("DROP FUNCTION audit_event_append_only()")
    op.drop_table("audit_chain")
