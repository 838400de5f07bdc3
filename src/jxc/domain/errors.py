"""Typed domain errors: a category, a stable dotted code and structured params.

Errors carry values, never message text; each entrypoint renders the message in the
user's language from the code (``jxc.i18n.messages``). Validation collects every
problem into one error's ``items`` so the user sees them all at once, and the write
as a whole is refused (invariant 8: bad input never half-writes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar


class Category(StrEnum):
    NOT_FOUND = "not_found"
    INVALID = "invalid"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    CONFIRMATION_REQUIRED = "confirmation_required"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class ErrorItem:
    """One problem inside a larger request: where it is (a JSON pointer) and what it is."""

    pointer: str
    code: str
    params: Mapping[str, Any] = field(default_factory=dict)


class DomainError(Exception):
    """Base of every error JXC reports to a user; never raised directly."""

    category: ClassVar[Category]

    def __init__(
        self,
        code: str,
        params: Mapping[str, Any] | None = None,
        items: Sequence[ErrorItem] = (),
    ) -> None:
        super().__init__(code)
        self.code = code
        self.params: dict[str, Any] = dict(params or {})
        self.items: tuple[ErrorItem, ...] = tuple(items)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.params!r}, items={list(self.items)!r})"


class NotFound(DomainError):
    category = Category.NOT_FOUND


class Invalid(DomainError):
    category = Category.INVALID


class Conflict(DomainError):
    category = Category.CONFLICT


class Forbidden(DomainError):
    category = Category.FORBIDDEN


class Unauthenticated(DomainError):
    category = Category.UNAUTHENTICATED


class ConfirmationRequired(DomainError):
    category = Category.CONFIRMATION_REQUIRED


class Unavailable(DomainError):
    category = Category.UNAVAILABLE


class InsufficientStock(Conflict):
    """Raised with one item per short line, so a clerk sees every shortage at once."""

    def __init__(self, items: Sequence[ErrorItem]) -> None:
        super().__init__("stock.insufficient", {"count": len(items)}, items)


class InvalidInput(Invalid):
    """Several validation failures of one request, each pointing at its field, line or row."""

    def __init__(self, items: Sequence[ErrorItem]) -> None:
        super().__init__("input.invalid", {"count": len(items)}, items)


def line_of(item: ErrorItem) -> int:
    """The line an error item points at (/lines/N…, from 1), or 0 for the header."""
    parts = item.pointer.split("/")
    return int(parts[2]) if len(parts) > 2 and parts[1] == "lines" and parts[2].isdigit() else 0


def line_order(item: ErrorItem) -> tuple[int, str]:
    """Header problems first, then line by line."""
    return line_of(item), item.pointer


def lines_not_named(lines: Sequence[Any], error: DomainError) -> list[tuple[int, Any]]:
    """The lines (numbered from 1) that none of ``error``'s problems points at."""
    named = {line_of(item) for item in error.items}
    return [(index, line) for index, line in enumerate(lines, start=1) if index not in named]


# Problems that name a code nobody has: (the param typed, what kind of code it is). Not a
# warehouse: one a user may not see is answered as unknown, and must stay so.
_UNKNOWN_CODES = {"item.unknown": "item"}


def unknown_codes(error: DomainError) -> set[tuple[str, str]]:
    """(kind, code as typed) of each item ``error`` says does not exist."""
    return {
        (kind, str(params[kind]))
        for code, params in [(error.code, error.params), *((i.code, i.params) for i in error.items)]
        if (kind := _UNKNOWN_CODES.get(code)) and params.get(kind)
    }


def suggest(error: DomainError, meant: Mapping[tuple[str, str], str]) -> None:
    """Add to each unknown code of ``error`` the code the user likely meant (did_you_mean)."""

    def with_hint(code: str, params: Mapping[str, Any]) -> dict[str, Any]:
        kind = _UNKNOWN_CODES.get(code)
        guess = meant.get((kind, str(params.get(kind)))) if kind else None
        return {**params, "did_you_mean": guess} if guess else dict(params)

    error.params = with_hint(error.code, error.params)
    error.items = tuple(
        ErrorItem(item.pointer, item.code, with_hint(item.code, item.params))
        for item in error.items
    )


class ErrorCollector:
    """Collects validation problems and raises them together."""

    def __init__(self) -> None:
        self.items: list[ErrorItem] = []

    def add(self, pointer: str, code: str, **params: Any) -> None:
        self.items.append(ErrorItem(pointer, code, params))

    def extend(self, error: DomainError, pointer: str) -> None:
        if error.items:
            self.items.extend(
                ErrorItem(pointer + item.pointer, item.code, item.params) for item in error.items
            )
        else:
            self.items.append(ErrorItem(pointer, error.code, error.params))

    def error(self) -> Invalid | None:
        """The one error naming everything collected (its own code if only one problem)."""
        if len(self.items) == 1:
            only = self.items[0]
            return Invalid(only.code, {**only.params, "pointer": only.pointer}, self.items)
        return InvalidInput(self.items) if self.items else None

    def raise_if_any(self) -> None:
        error = self.error()
        if error is not None:
            raise error
