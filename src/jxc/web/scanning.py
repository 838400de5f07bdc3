"""The lines a scan page holds between scans: sent back by the page with every scan.

Each scan adds to its line (a repeated code adds to the count, a serial once), and a scan
id the page saw already is not counted again (a scanner's double read).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from jxc.domain.errors import Invalid
from jxc.services import catalog


class ScannedLine(BaseModel):
    item: str
    item_name: str = ""
    unit: str
    quantity: Decimal = Field(gt=0)
    batch: str | None = None
    expiry_date: str | None = None
    serials: list[str] = []
    unit_cost: str | None = None
    unit_price: str | None = None  # an order's line
    tax_rate: str | None = None


class ScanState(BaseModel):
    """The lines scanned so far, kept in the page between scans (the page sends it back)."""

    lines: list[ScannedLine] = []
    scans: list[str] = []


def lines_from(state: str, form: Any) -> tuple[list[dict[str, Any]], list[str]]:
    """The lines scanned so far (and the scan ids seen), with costs and prices as typed since.

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
            typed = str(form.get(f"{name}-{index}", line.get(field) or "")).strip()
            line[field] = typed or None
    return lines, saved.scans


def add_scan(lines: list[dict[str, Any]], scanned: catalog.Scanned) -> int:
    """Add a scan to the lines: its line number. A repeated code adds to its line."""
    for number, line in enumerate(lines, start=1):
        same = (line["item"], line["unit"], line.get("batch")) == (
            scanned.item,
            scanned.unit,
            scanned.batch,
        )
        if not same:
            continue
        if scanned.serial is not None:
            if scanned.serial not in line["serials"]:
                line["serials"].append(scanned.serial)
                line["quantity"] = str(len(line["serials"]))
            return number
        line["quantity"] = str(Decimal(line["quantity"]) + scanned.quantity)
        return number
    lines.append(
        {
            "item": scanned.item,
            "item_name": scanned.item_name,
            "unit": scanned.unit,
            "quantity": "1" if scanned.serial else str(scanned.quantity),
            "batch": scanned.batch,
            "expiry_date": scanned.expiry_date.isoformat() if scanned.expiry_date else None,
            "serials": [scanned.serial] if scanned.serial else [],
            "unit_cost": None,
        }
    )
    return len(lines)
