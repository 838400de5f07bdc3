"""Alembic environment: runs on the connection JXC hands over (``jxc db upgrade``)."""

from alembic import context

from jxc.db.schema import Base

config = context.config
connection = config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
