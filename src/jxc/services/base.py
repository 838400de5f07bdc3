"""What every service shares: the unit-of-work wrapper, input parsing and exactly-once.

``transactional`` runs a service body inside ``uow.run`` (one transaction, retried on
a concurrency conflict). ``parse`` turns raw input into a frozen input model and
reports every bad field at once with a JSON pointer. ``replay`` / ``remember`` make
a write with a request id happen once (invariant 5).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from decimal import Decimal
from typing import Annotated, Any, Concatenate, ParamSpec, TypeVar, cast

from pydantic import BaseModel, BeforeValidator, ValidationError
from pydantic_core import PydanticCustomError

from jxc.db.uow import UnitOfWork
from jxc.domain.errors import (
    Conflict,
    DomainError,
    ErrorCollector,
    Invalid,
    suggest,
    unknown_codes,
)
from jxc.domain.quantities import digits_of
from jxc.domain.stock import Refusal

P = ParamSpec("P")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

_PYDANTIC_CODES = {
    "missing": "field.required",
    "number_not_written_out": "field.not_written_out",
    "decimal_parsing": "number.invalid",
    "decimal_type": "number.invalid",
    "finite_number": "number.invalid",
    "float_type": "number.invalid",
    "int_parsing": "number.invalid",
    "int_type": "number.invalid",
    "int_from_float": "number.invalid",
    "date_parsing": "date.invalid",
    "date_from_datetime_parsing": "date.invalid",
    "date_type": "date.invalid",
    "enum": "value.not_allowed",
    "literal_error": "value.not_allowed",
    "string_too_long": "text.too_long",
    "string_too_short": "field.required",
    "too_long": "list.too_long",
    "too_short": "list.too_short",
    "list_type": "list.invalid",
    "extra_forbidden": "field.unknown",
    "json_invalid": "request.json_invalid",
    "model_attributes_type": "request.object_expected",
    "dict_type": "request.object_expected",
    "greater_than_equal": "value.below_minimum",
    "greater_than": "value.below_minimum",
    "less_than_equal": "value.above_maximum",
    "less_than": "value.above_maximum",
}
_BOUNDS = ("ge", "gt", "le", "lt")
_QUOTED = re.compile(r"'([^']*)'")


def _in_digits(value: Any) -> Any:
    """Text of a number as digits; 1e3 or 1_000 refused, although Python reads them."""
    if not isinstance(value, str):
        return value
    if not value.strip():  # a field left blank: missing, not "  is not a number"
        raise PydanticCustomError("missing", "Field required")
    try:
        plain = digits_of(value)
    except Invalid:
        raise PydanticCustomError(
            "number_not_written_out", "a number not written in digits"
        ) from None
    return value if plain is None else plain  # not a number at all: pydantic says so


# A number in an input model: what a person wrote, in digits (see ``digits_of``).
WrittenNumber = Annotated[Decimal, BeforeValidator(_in_digits)]


def transactional(
    service: Callable[Concatenate[UnitOfWork, P], T],
) -> Callable[Concatenate[UnitOfWork, P], T]:
    def run(uow: UnitOfWork, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return uow.run(lambda: service(uow, *args, **kwargs))
        except DomainError as error:
            refused, request_id = uow.refused, uow.request_id
            if refused:
                uow.run(lambda: _keep_refusals(uow, refused, request_id))
            _suggest_codes(uow, error)
            raise

    return cast(Callable[Concatenate[UnitOfWork, P], T], functools.wraps(service)(run))


def _suggest_codes(uow: UnitOfWork, error: DomainError) -> None:
    """Name the code meant beside each unknown one: 商品 dp-003 不存在（是否指 DP-003？）."""
    typed = unknown_codes(error)
    if typed:
        suggest(error, uow.run(lambda: uow.catalog.meant(typed), read_only=True))


def _keep_refusals(uow: UnitOfWork, refused: list[Refusal], request_id: str | None) -> None:
    """Record what was refused for want of stock (拒绝超卖), after its rollback.

    Numbered across the request, so a replay of it (same request id) adds nothing.
    """
    items = uow.catalog.items_by_code({line.item for r in refused for line in r.lines})
    now = uow.clock()
    uow.refusals.add(
        [
            {
                "refused_at": now,
                "actor": refusal.actor,
                "document": refusal.document,
                "document_type": refusal.document_type,
                "warehouse_id": refusal.warehouse_id,
                "item_id": items[line.item].id,
                "location": line.location,
                "lines": line.lines[:200],
                "requested": line.requested,
                "available": line.available,
                "request_id": request_id,
                "position": position,
            }
            for position, (refusal, line) in enumerate(
                ((r, line) for r in refused for line in r.lines), start=1
            )
            if line.item in items
        ]
    )
    uow.commit()


def reading(
    service: Callable[Concatenate[UnitOfWork, P], T],
) -> Callable[Concatenate[UnitOfWork, P], T]:
    """Like ``transactional``, for a service that only reads: no write lock is taken."""

    def run(uow: UnitOfWork, *args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return uow.run(lambda: service(uow, *args, **kwargs), read_only=True)
        except DomainError as error:
            _suggest_codes(uow, error)
            raise

    return cast(Callable[Concatenate[UnitOfWork, P], T], functools.wraps(service)(run))


def told_so_far(malformed: Invalid) -> tuple[ErrorCollector, set[str]]:
    """``malformed``'s problems, to add what looking the raw input up finds, and where they are.

    One answer names every problem, not the malformed fields first and the rest next time.
    """
    errors = ErrorCollector()
    errors.items = list(malformed.items)
    return errors, {item.pointer for item in errors.items}


def parse(model: type[M], data: Mapping[str, Any] | M) -> M:
    """Build ``model`` from raw data, raising one error that names every bad field."""
    if isinstance(data, model):
        return data
    with_nul = list(_nul_pointers(data, ""))
    if with_nul:
        errors = ErrorCollector()
        for pointer in with_nul:
            errors.add(pointer, "text.nul_character")
        errors.raise_if_any()
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise invalid_input(error.errors()) from None


def _nul_pointers(value: Any, pointer: str) -> Iterator[str]:
    """Where a NUL character hides in raw input (PostgreSQL cannot store one; none is meant)."""
    if isinstance(value, str):
        if "\x00" in value:
            yield pointer or "/"
    elif isinstance(value, Mapping):
        for key, inner in value.items():
            yield from _nul_pointers(key, pointer + "/")
            yield from _nul_pointers(inner, f"{pointer}/{key}")
    elif isinstance(value, list | tuple):
        for index, inner in enumerate(value, start=1):  # lines are counted from 1
            yield from _nul_pointers(inner, f"{pointer}/{index}")


def invalid_input(problems: Iterable[Mapping[str, Any]]) -> Invalid:
    """One error naming every problem pydantic found (its ``errors()``), each by pointer."""
    errors = ErrorCollector()
    for problem in problems:
        # Lines and serials are numbered from 1 for people, as the domain checks do.
        pointer = "/" + "/".join(
            str(part + 1 if isinstance(part, int) else part) for part in problem["loc"]
        )
        code = _PYDANTIC_CODES.get(problem["type"], "field.invalid")
        field = str(problem["loc"][-1]) if problem["loc"] else ""
        if code == "request.object_expected" and not field:
            code = "request.body_not_object"
        raw = problem.get("input")
        if raw is None and field and code != "field.unknown":  # JSON null: as if left out
            code = "field.required"
        # As the file has it: JSON true, not Python's True
        shown = "" if isinstance(raw, dict | list) or raw is None else _as_written(raw)[:50]
        context = problem.get("ctx", {})
        bound = next((context[k] for k in _BOUNDS if k in context), None)
        extra = {} if bound is None else {"limit": str(bound)}
        if code == "value.not_allowed":  # pydantic lists them in English: 'a', 'b' or 'c'
            extra["allowed"] = ", ".join(_QUOTED.findall(str(context.get("expected", ""))))
        errors.add(pointer, code, field=field, value=shown, **extra)
    found = errors.error()
    assert found is not None, "a validation error names at least one problem"
    return found


def _as_written(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def fingerprint(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def replay(
    uow: UnitOfWork, actor: str, request_id: str | None, operation: str, payload: Any
) -> dict[str, Any] | None:
    """The stored result of an earlier identical request, or None if this one is new.

    A request id is its sender's: another user replaying it learns nothing of the first
    request, and gets a conflict rather than someone else's result.

    Raises:
        Invalid: request.id_blank.
        Conflict: request.idempotency_key_of_another_user, request.idempotency_key_reused.
    """
    if request_id is None:
        return None
    if not request_id.strip():  # every blank request would be one request
        raise Invalid("request.id_blank", {})
    uow.request_id = request_id
    seen = uow.requests.get(request_id)
    if seen is None:
        return None
    stored_operation, result = seen
    if result.get("_actor", actor) != actor:
        raise Conflict("request.idempotency_key_of_another_user", {"request_id": request_id})
    if stored_operation != operation or result.get("_fingerprint") != fingerprint(payload):
        made = {"number": result["number"]} if result.get("number") else {}
        raise Conflict(
            "request.idempotency_key_reused",
            # the document the first request made, if any: a form sent again names it
            {"request_id": request_id, "operation": stored_operation, **made},
        )
    return result


def remember(
    uow: UnitOfWork,
    actor: str,
    request_id: str | None,
    operation: str,
    payload: Any,
    result: dict[str, Any],
) -> None:
    if request_id is not None:
        stored = {**result, "_fingerprint": fingerprint(payload), "_actor": actor}
        uow.requests.add(request_id, operation, stored, uow.clock())
