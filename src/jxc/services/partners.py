"""Partners (往来单位): add and change suppliers, customers and sales channels."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.auth import Action
from jxc.domain.errors import Conflict, ErrorCollector, Invalid, NotFound
from jxc.domain.partners import ChannelKind, ChannelTerms, PartnerKind, check_channel_terms
from jxc.domain.quantities import MAX_QUANTITY, QUANTITY_SCALE
from jxc.services.auth import require
from jxc.services.base import WrittenNumber, parse, remember, replay, told_so_far, transactional

_Text = Field(default=None, max_length=100)


class PartnerFields(BaseModel):
    """What a partner has besides its code; an edit gives only the fields it changes."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    kind: PartnerKind | None = None
    contact: str | None = _Text
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    address: str | None = Field(default=None, max_length=300)
    default_warehouse: str | None = Field(default=None, min_length=1, max_length=32)
    channel_kind: ChannelKind | None = None
    platform: str | None = Field(default=None, max_length=40)
    safety_buffer: WrittenNumber | None = Field(
        default=None, ge=0, le=MAX_QUANTITY, decimal_places=QUANTITY_SCALE
    )
    warehouses: list[str] | None = Field(default=None, max_length=100)
    active: bool | None = None


class PartnerIn(PartnerFields):
    code: str = Field(min_length=1, max_length=32, pattern=r"^\S(.*\S)?$")
    name: str = Field(min_length=1, max_length=100)
    kind: PartnerKind


@transactional
def add(
    uow: UnitOfWork, actor: str, data: PartnerIn | dict[str, Any], request_id: str | None = None
) -> str:
    """Add a supplier, a customer or a sales channel (with the warehouses it sells from).

    Raises:
        Forbidden: auth.forbidden (partner.manage).
        Invalid: every bad field at once (unknown warehouses, channel fields on a supplier …).
        Conflict: partner.code_taken.
    """
    require(uow, actor, Action.PARTNER_MANAGE)
    try:
        partner = parse(PartnerIn, data)
    except Invalid as malformed:
        raise _with_unknown_codes(uow, data, malformed) from None
    payload = partner.model_dump(mode="json", exclude_none=True)
    if replay(uow, actor, request_id, "partners.add", payload) is not None:
        return partner.code
    if uow.partners.find(partner.code) is not None:
        raise Conflict("partner.code_taken", {"partner": partner.code})
    values = _checked(uow, partner.model_dump(exclude={"code"}))
    warehouse_ids = values.pop("warehouse_ids")
    partner_id = uow.partners.add({**values, "code": partner.code, "created_at": uow.clock()})
    uow.partners.set_warehouses(partner_id, warehouse_ids)
    uow.record(AuditEntry(actor, "partner.add", "partner", partner.code, payload))
    remember(uow, actor, request_id, "partners.add", payload, {})
    uow.commit()
    return partner.code


@transactional
def edit(
    uow: UnitOfWork,
    actor: str,
    code: str,
    data: PartnerFields | dict[str, Any],
    request_id: str | None = None,
) -> None:
    """Change the fields given (``warehouses`` replaces the list); checked as a whole.

    Raises:
        Forbidden: auth.forbidden (partner.manage).
        NotFound: partner.unknown.
        Invalid: every bad field at once.
    """
    require(uow, actor, Action.PARTNER_MANAGE)
    changes = parse(PartnerFields, data)
    given = changes.model_dump(exclude_unset=True)  # a null clears a field
    for required in ("name", "kind", "active"):
        if required in given and given[required] is None:
            raise Invalid("field.required", {"field": required, "pointer": f"/{required}"})
    payload = {"partner": code, **changes.model_dump(mode="json", exclude_unset=True)}
    if replay(uow, actor, request_id, "partners.edit", payload) is not None:
        return
    found = uow.partners.find(code, for_update=True)
    if found is None:
        raise NotFound("partner.unknown", {"partner": code})
    current = {
        **{field: found[field] for field in PartnerFields.model_fields if field in found},
        "default_warehouse": _warehouse_code(uow, found["default_warehouse_id"]),
        "warehouses": found["warehouses"],
    }
    values = _checked(uow, {**current, **given})
    uow.partners.update(found["id"], {k: v for k, v in values.items() if k != "warehouse_ids"})
    uow.partners.set_warehouses(found["id"], values["warehouse_ids"])
    uow.record(AuditEntry(actor, "partner.edit", "partner", code, payload))
    remember(uow, actor, request_id, "partners.edit", payload, {})
    uow.commit()


def _warehouse_code(uow: UnitOfWork, warehouse_id: int | None) -> str | None:
    return uow.catalog.warehouse_code(warehouse_id) if warehouse_id is not None else None


def _known_warehouses(
    uow: UnitOfWork, warehouses: list[Any], default: str | None, errors: ErrorCollector
) -> dict[str, Any]:
    """The warehouses a partner names, by code; ``errors`` get those that do not exist.

    Counted from 1, as every list in a message is; what is not a code is told elsewhere.
    """
    codes = [code for code in warehouses if isinstance(code, str)]
    known = uow.catalog.warehouses_by_code([*codes, *([default] if default else [])])
    for index, code in enumerate(warehouses, start=1):
        if isinstance(code, str) and code not in known:
            errors.add(f"/warehouses/{index}", "warehouse.unknown", warehouse=code)
    if default and default not in known:
        errors.add("/default_warehouse", "warehouse.unknown", warehouse=default)
    return known


def _with_unknown_codes(uow: UnitOfWork, data: Any, malformed: Invalid) -> Invalid:
    """``malformed`` plus the taken code and unknown warehouses the raw data names."""
    raw = data if isinstance(data, dict) else {}
    errors, told = told_so_far(malformed)
    code = raw.get("code")
    if isinstance(code, str) and "/code" not in told and uow.partners.find(code) is not None:
        errors.add("/code", "partner.code_taken", partner=code)
    given, default = raw.get("warehouses"), raw.get("default_warehouse")
    named_default = default if isinstance(default, str) else None
    found = ErrorCollector()
    _known_warehouses(uow, given if isinstance(given, list) else [], named_default, found)
    errors.items += [item for item in found.items if item.pointer not in told]
    return errors.error() or malformed


def _checked(uow: UnitOfWork, fields: dict[str, Any]) -> dict[str, Any]:
    """A partner's whole set of fields checked together: the row to store, or Invalid."""
    errors = ErrorCollector()
    warehouses = list(fields.get("warehouses") or [])
    kind = PartnerKind(fields["kind"])
    channel_kind = ChannelKind(fields["channel_kind"]) if fields.get("channel_kind") else None
    buffer = Decimal(fields.get("safety_buffer") or 0)
    check_channel_terms(
        ChannelTerms(kind, channel_kind, fields.get("platform"), buffer, tuple(warehouses)),
        errors,
    )
    default = fields.get("default_warehouse")
    known = _known_warehouses(uow, warehouses, default, errors)
    errors.raise_if_any()
    return {
        "name": fields["name"],
        "kind": kind.value,
        "contact": fields.get("contact"),
        "phone": fields.get("phone"),
        "email": fields.get("email"),
        "address": fields.get("address"),
        "default_warehouse_id": known[default].id if default else None,
        "channel_kind": channel_kind.value if channel_kind else None,
        "platform": fields.get("platform"),
        "safety_buffer": buffer,
        "active": fields.get("active", True) is not False,
        "warehouse_ids": [known[code].id for code in warehouses],
    }
