"""Column types that keep numbers exact and times in UTC on every engine.

SQLite has no exact decimal type (NUMERIC becomes REAL), so ``ExactDecimal`` stores a
scaled 64-bit integer there and NUMERIC on PostgreSQL. Sums, differences and
comparisons stay exact in SQL on both; never multiply two such columns in SQL.
"""

from __future__ import annotations

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

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        # Refused on every engine: PostgreSQL's NUMERIC would round silently.
        scaled = Decimal(value).scaleb(self.scale)
        if scaled != scaled.to_integral_value():
            raise ValueError(f"{value} has more than {self.scale} decimals")
        if dialect.name != "sqlite":
            return value
        if not _INT64_MIN <= scaled <= _INT64_MAX:
            raise OverflowError(
                f"{value} is beyond what SQLite stores exactly at scale {self.scale}"
            )
        return int(scaled)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.scale)
        return Decimal(value)


class UtcDateTime(TypeDecorator[datetime]):
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given; JXC stores UTC-aware times only")
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment: datetime = value
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
