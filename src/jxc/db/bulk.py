"""Executemany for the few statements a posting runs once per line.

On SQLite, SQLAlchemy prepares every parameter set of an executemany on its own (a dict
per row, walked through the compiler and the type processors), which for the hundreds of
rows of one posting costs more than the database work. There a ``Bulk`` statement is
compiled once, each row is converted by its columns' own bind processors (so
``ExactDecimal`` and ``UtcDateTime`` behave exactly as elsewhere) and handed to the
driver as is. On PostgreSQL SQLAlchemy's own executemany is faster: it batches inserts
into multi-row statements, saving the round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Dialect
from sqlalchemy.exc import StatementError
from sqlalchemy.sql.dml import UpdateBase


@dataclass(frozen=True)
class _Compiled:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    fixed: Mapping[str, Any]  # binds the statement itself sets, such as a literal 0
    positional: bool


class Bulk:
    def __init__(self, statement: UpdateBase, columns: Sequence[str] | None = None) -> None:
        """``columns``: for an INSERT, the columns rows give; a row may leave one out (NULL)."""
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            done = self.statement.compile(dialect=dialect, column_keys=self.columns)
            names = tuple(done.positiontup or ()) if done.positional else tuple(done.binds)
            binds = done.binds
            compiled = _Compiled(
                sql=done.string,
                names=names,
                processors=tuple(
                    binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
                ),
                fixed={
                    name: binds[name].effective_value for name in names if not binds[name].required
                },
                positional=done.positional,
            )
            self._compiled[dialect.name] = compiled
        return compiled

    def run(self, connection: Connection, rows: Sequence[Mapping[str, Any]]) -> int:
        """Execute once per row; return the number of rows an UPDATE changed."""
        if not rows:
            return 0
        if connection.dialect.name != "sqlite":
            # psycopg: SQLAlchemy's "insertmanyvalues" batches inserts into multi-row
            # statements, which beats per-row round trips measurably (jxc bench).
            return connection.execute(self.statement, list(rows)).rowcount
        compiled = self._compile(connection.dialect)
        # Column by column: a list comprehension per column costs far less interpreter
        # time than a loop over every value of every row.
        converted_columns = []
        for name, process in zip(compiled.names, compiled.processors, strict=True):
            default = compiled.fixed.get(name)  # left out of a row: the fixed value
            values = [row.get(name, default) for row in rows]
            if process is not None:
                values = self._converted(compiled, rows, values, process)
            converted_columns.append(values)
        converted: list[Any] = list(zip(*converted_columns, strict=True))
        if not compiled.positional:
            converted = [dict(zip(compiled.names, values, strict=True)) for values in converted]
        result = connection.exec_driver_sql(compiled.sql, converted)
        return result.rowcount

    @staticmethod
    def _converted(
        compiled: _Compiled,
        rows: Sequence[Mapping[str, Any]],
        values: list[Any],
        process: Callable[[Any], Any],
    ) -> list[Any]:
        first = values[0]
        try:
            # The rows of one posting share their document, date, time and actor: one
            # object in every row converts once.
            if all(value is first for value in values):
                return [None if first is None else process(first)] * len(values)
            return [None if value is None else process(value) for value in values]
        except (ValueError, OverflowError, TypeError) as error:
            # As SQLAlchemy reports a value its types refuse, naming the row that has it.
            for row, value in zip(rows, values, strict=True):
                try:
                    if value is not None:
                        process(value)
                except (ValueError, OverflowError, TypeError):
                    raise StatementError(str(error), compiled.sql, dict(row), error) from error
            raise
