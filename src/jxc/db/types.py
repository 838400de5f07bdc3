"""Column types that keep numbers exact and times in UTC on every engine.

SQLite has no exact decimal type (NUMERIC becomes REAL), so ``ExactDecimal`` stores a
scaled 64-bit integer there and NUMERIC on PostgreSQL. Sums, differences and
comparisons stay exact in SQL on both; never multiply two such columns in SQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime, Dialect, Numeric
from sqlalchemy.types import TypeDecorator, TypeEngine

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


class ExactDecimal(TypeDecorator[Decimal]):
    impl = Numeric
    cache_ok = True

    def __init__(self, scale: int) -> None:
        super().__init__()
        self.scale = scale

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.scale})"

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(30, self.scale, asdecimal=True))

    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any]:
        # One plain closure per engine: posting converts several values per line, and
        # TypeDecorator's generic wrapping around process_bind_param costs as much again.
        factor = self.scale
        sqlite = dialect.name == "sqlite"

        def process(value: Any) -> Any:
            if value is None:
                return None
            scaled = (value if type(value) is Decimal else Decimal(value)).scaleb(factor)
            integer, denominator = scaled.as_integer_ratio()
            # Refused on every engine: PostgreSQL's NUMERIC would round silently.
            if denominator != 1:
                raise ValueError(f"{value} has more than {factor} decimals")
            if not sqlite:
                return value
            if not _INT64_MIN <= integer <= _INT64_MAX:
                raise OverflowError(
                    f"{value} is beyond what SQLite stores exactly at scale {factor}"
                )
            return integer

        return process

    def result_processor(self, dialect: Dialect, coltype: Any) -> Callable[[Any], Any] | None:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)  # psycopg gives Decimal
        shift = -self.scale
        return lambda value: None if value is None else Decimal(value).scaleb(shift)


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; JXC stores UTC-aware times only")
        # SQLite keeps the wall-clock digits only: 09:00+08:00 must be stored as 01:00.
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
