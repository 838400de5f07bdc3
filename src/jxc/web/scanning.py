"""The lines a scan page holds between scans: sent back by the page with every scan.

Each scan adds to its line (a repeated code adds to the count, a serial once), and a scan
id the page saw already is not counted again (a scanner's double read). A count typed
beside the scan field counts the scan that many times (48 boxes, one scanned); a
line's quantity may be typed over, and a line taken out, between scans.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.domain.auth import Principal
from jxc.domain.documents import DocumentType
from jxc.domain.errors import DomainError, Invalid
from jxc.domain.quantities import parse_decimal
from jxc.services import catalog
from jxc.web.forms import FormErrors, form_errors
from jxc.web.render import locale_of, page


class ScannedLine(BaseModel):
    item: str
    item_name: str = ""
    unit: str
    quantity: str  # as typed over: checked when scanned again, and by the service
    batch: str | None = None
    expiry_date: str | None = None
    serials: list[str] = []
    unit_cost: str | None = None
    unit_price: str | None = None  # an order's line
    tax_rate: str | None = None
    # A stored line being edited keeps what no scan sets.
    discount_rate: str | None = None
    production_date: str | None = None
    source_line: int | None = None
    location: str | None = None
    to_location: str | None = None


class ScanState(BaseModel):
    """The lines scanned so far, kept in the page between scans (the page sends it back)."""

    lines: list[ScannedLine] = []
    scans: list[str] = []


def lines_from(state: str, form: Any, typed: bool = True) -> tuple[list[dict[str, Any]], list[str]]:
    """The lines scanned so far (and the scan ids seen), with costs and prices as typed since.

    ``typed``: quantities typed over lines are read too (not on a pick or check screen,
    where only scans count).

    Raises:
        Invalid: scan.state_invalid (the page sent back something it never held).
    """
    try:
        saved = ScanState.model_validate_json(state) if state else ScanState()
    except ValidationError:
        raise Invalid("scan.state_invalid", {}) from None
    lines = [line.model_dump(mode="json") for line in saved.lines]
    for index, line in enumerate(lines, start=1):
        for field, name in (("unit_cost", "cost"), ("unit_price", "price"), ("tax_rate", "tax")):
            written = str(form.get(f"{name}-{index}", line.get(field) or "")).strip()
            line[field] = written or None
        if typed and not line["serials"]:  # a serial line counts its serials
            line["quantity"] = str(form.get(f"qty-{index}", line["quantity"])).strip()
    return lines, saved.scans


def typed_count(text: str) -> Decimal | None:
    """The count typed beside the scan field, or None when left blank (the scan's own).

    Raises:
        Invalid: quantity.not_a_number, quantity.not_positive.
    """
    if not text.strip():
        return None
    count = parse_decimal(text.strip())
    if count <= 0:
        raise Invalid("quantity.not_positive", {"quantity": text.strip()})
    return count


def add_scan(
    lines: list[dict[str, Any]], scanned: catalog.Scanned, count: Decimal | None = None
) -> int:
    """Add a scan, ``count`` times when typed, to the lines: its line number.

    A repeated code adds to its line; a code carrying a count (GS1 AI 30) counts that many
    each time.

    Raises:
        Invalid: scan.serial_counted_once (a count other than 1 typed for a serial);
            scan.serial_scanned_already (a serial already on a line: told, not taken as
            a new unit); batch.dates_conflict (an expiry unlike the one the batch's line
            has); quantity.not_a_number (the line's quantity, as typed over).
    """
    if scanned.serial is not None and count not in (None, 1):
        raise Invalid("scan.serial_counted_once", {"serial": scanned.serial, "count": f"{count}"})
    for number, line in enumerate(lines, start=1):
        if line["item"] == scanned.item and scanned.serial in line["serials"]:  # an item's own
            raise Invalid("scan.serial_scanned_already", {"serial": scanned.serial, "line": number})
    expiry = scanned.expiry_date.isoformat() if scanned.expiry_date else None
    for line in lines:
        # one batch has one expiry: a second label saying otherwise is told, not dropped
        known = line.get("expiry_date")
        if (line["item"], line.get("batch")) == (scanned.item, scanned.batch) and scanned.batch:
            if expiry and known and known != expiry:
                raise Invalid(
                    "batch.dates_conflict",
                    {
                        "batch": scanned.batch,
                        "field": "expiry_date",
                        "known": known,
                        "given": expiry,
                    },
                )
            line["expiry_date"] = known or expiry
    quantity = scanned.quantity if count is None else scanned.quantity * count
    for number, line in enumerate(lines, start=1):
        same = (line["item"], line["unit"], line.get("batch")) == (
            scanned.item,
            scanned.unit,
            scanned.batch,
        )
        if not same:
            continue
        if scanned.serial is not None:
            line["serials"].append(scanned.serial)
            line["quantity"] = str(len(line["serials"]))
            return number
        line["quantity"] = str(parse_decimal(line["quantity"]) + quantity)
        return number
    lines.append(
        {
            "item": scanned.item,
            "item_name": scanned.item_name,
            "unit": scanned.unit,
            "quantity": "1" if scanned.serial else str(quantity),
            "batch": scanned.batch,
            "expiry_date": expiry,
            "serials": [scanned.serial] if scanned.serial else [],
            "unit_cost": None,
        }
    )
    return len(lines)


def state_of(lines: list[dict[str, Any]], scans: list[str]) -> str:
    """What the page holds between scans (the newest scan ids, enough to catch a resend)."""
    return json.dumps({"lines": lines, "scans": scans[-500:]}, ensure_ascii=False)


def scan_page(
    request: Request,
    template: str,
    user: Principal,
    context: dict[str, Any],
    lines: list[dict[str, Any]],
    scans: list[str],
    status_code: int = 200,
    errors: FormErrors | None = None,
) -> Response:
    """A scan screen: its header fields (``context``), the lines so far, any refusal."""
    return page(
        request,
        template,
        status_code,
        user=user,
        lines=lines,
        state=state_of(lines, scans),
        scan_error="",
        errors=errors or FormErrors(),
        **context,
    )


async def take_scan(
    request: Request,
    app: App,
    user: Principal,
    kind: DocumentType,
    code: str,
    scan_id: str,
    state: str,
    check: Callable[[Any, list[dict[str, Any]], int], None],
    typed: bool = True,
    redrawn: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
) -> Response:
    """One scan or one line taken out: the lines re-drawn, or the refusal (422).

    The form's ``remove`` names a line to take out; otherwise ``code`` is scanned (as many
    times as the count typed beside it says), and a refusal is shown next to the scan
    field. Where not ``typed`` (拣货, 复核) the lines are what was scanned: no quantity
    typed over, no line taken out.

    ``check(form, lines, number)`` refuses the lines with the scan added to line ``number``
    as the screen's document would; a resent scan id counts once. ``redrawn(lines)``: more
    of the page drawn anew with the lines (the pick list's progress), out of band.
    """
    scan_error, status = "", 200
    form = await request.form()
    try:
        lines, scans = lines_from(state, form, typed)
    except DomainError as error:
        lines, scans = [], []  # the lines are lost: this scan is not counted either
        scan_error, status = form_errors(error, locale_of(request)).summary_or_first(), 422
    removed = str(form.get("remove", "")) if typed else ""
    if status == 200 and removed.isdigit():
        lines = [line for number, line in enumerate(lines, start=1) if str(number) != removed]
    elif status == 200 and not (scan_id and scan_id in scans):
        try:
            count = typed_count(str(form.get("quantity", "")))
            beside = typed_beside(
                str(form.get("scan_batch", "")),
                str(form.get("scan_expiry", "")),
                str(form.get("scan_serial", "")),
            )
            scanned = await run_in_threadpool(
                catalog.scan, app.uow(), user.username, code, kind, beside
            )
            if count is not None:  # a refused count is named as typed, not as the line's sum
                alone: list[dict[str, Any]] = []
                try:
                    await run_in_threadpool(check, form, alone, add_scan(alone, scanned, count))
                except DomainError as refused:
                    if not refused.code.startswith("stock."):
                        raise
                    # short of stock: told below, on the line it lands on, with its total
            added = [dict(line, serials=list(line["serials"])) for line in lines]
            number = add_scan(added, scanned, count)
            await run_in_threadpool(check, form, added, number)
            lines = added
            scans.append(scan_id or secrets.token_hex(8))
        except DomainError as error:
            scan_error, status = form_errors(error, locale_of(request)).summary_or_first(), 422
    more = await run_in_threadpool(redrawn, lines) if redrawn else {}
    return page(
        request,
        "_lines.html",
        status,
        **more,
        kind=kind.value,
        scan_url=request.url.path,
        typed_lines=typed,
        lines=lines,
        state=state_of(lines, scans),
        scan_error=scan_error,
        errors=FormErrors(),
    )


def typed_beside(batch: str, expiry: str, serial: str = "") -> catalog.Beside:
    """What was typed beside a scan: a batch, its expiry (a date field), a serial.

    Raises:
        Invalid: field.invalid (an expiry that is not an ISO date).
    """
    expiry_date = typed_date(expiry, "expiry_date")
    return catalog.Beside(batch.strip() or None, expiry_date, serial.strip() or None)


def typed_date(typed: str, field: str) -> date | None:
    """A date field's value, checked (YYYY-MM-DD); None when left empty.

    Raises:
        Invalid: field.invalid naming ``field``.
    """
    typed = typed.strip()
    if not typed:
        return None
    try:
        return date.fromisoformat(typed)
    except ValueError:
        raise Invalid("field.invalid", {"field": field, "value": typed}) from None
