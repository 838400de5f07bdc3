"""Reading what a scanner types: a plain EAN/UPC code, or a GS1 code carrying more.

A GS1-128 or GS1 DataMatrix code names the GTIN (AI 01), and may carry the batch (10),
the expiry date (17), the serial (21) and a count (30 or 37). Scanners send it either
raw (with or without its ``]C1``/``]d2`` prefix, elements separated by the GS character
for FNC1) or, where a keyboard-wedge scanner cannot type GS, in its human-readable form
``(01)…(10)…``. Anything else is looked up as it was typed, in half-width: a scanner
typing through a Chinese input method in full-width mode sends ６９０１… for 6901….
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import biip
from biip.gs1_messages import GS1Message

from jxc.domain.errors import Invalid

MAX_BARCODE = 200


@dataclass(frozen=True)
class ScannedCode:
    codes: tuple[str, ...]  # what to look the item up by, most specific first
    batch: str | None = None
    expiry_date: date | None = None
    serial: str | None = None
    quantity: Decimal | None = None


def read_barcode(text: str) -> ScannedCode:
    """What one scan says.

    Raises:
        Invalid: barcode.empty, barcode.too_long, barcode.gs1_invalid (a GS1 code that
            does not parse, naming why).
    """
    typed = text.strip()
    raw = unicodedata.normalize("NFKC", typed)
    if not raw:
        raise Invalid("barcode.empty", {})
    if len(raw) > MAX_BARCODE:
        raise Invalid("barcode.too_long", {"length": len(raw), "limit": MAX_BARCODE})
    if raw.startswith("("):
        try:
            message = GS1Message.parse_hri(raw)
        except biip.ParseError as error:
            raise _gs1_refusal(raw, str(error)) from None
        return _from_gs1(raw, message)
    # A code of our own is also looked up as typed: 杯子（大） stays itself.
    as_typed = ScannedCode(tuple(dict.fromkeys((raw, typed))))
    prefixed = raw.startswith(("]C1", "]d2", "]Q3", "\x1d"))
    if not prefixed and not (raw.startswith("01") and len(raw) >= 16 and raw[:16].isdigit()):
        return as_typed
    result = biip.parse(raw)
    if result.gs1_message is None:
        if not prefixed:
            return as_typed  # a code of our own that merely looks like GS1
        raise _gs1_refusal(raw, result.gs1_message_error or "")
    return _from_gs1(raw, result.gs1_message)


def _from_gs1(raw: str, message: GS1Message) -> ScannedCode:
    values = {element.ai.ai: element for element in message.element_strings}
    gtin = values.get("01")
    if gtin is None:
        raise Invalid("barcode.gs1_gtin_missing", {"barcode": raw})
    if gtin.gtin is None:
        raise _gs1_refusal(raw, gtin.gtin_error or "")
    # Items keep the code printed on the pack (EAN-13, UPC-A or EAN-8); GS1 pads it to 14.
    codes = tuple(dict.fromkeys(_printed_forms(gtin.gtin) + [gtin.value]))
    count = values.get("30") or values.get("37")
    if count is not None and Decimal(count.value) <= 0:
        raise Invalid("quantity.not_positive", {"quantity": count.value})
    return ScannedCode(
        codes=codes,
        batch=values["10"].value if "10" in values else None,
        expiry_date=values["17"].date if "17" in values else None,
        serial=values["21"].value if "21" in values else None,
        quantity=Decimal(count.value) if count is not None else None,
    )


_AI_MISMATCH = re.compile(r"Failed to match '(?P<value>.*)' with GS1 AI \((?P<ai>\d+)\)")
_CHECK_DIGIT = re.compile(
    r"Invalid GTIN check digit for '(?P<gtin>\d+)': Expected (?P<expected>\d)"
)


def _gs1_refusal(raw: str, reason: str) -> Invalid:
    """Why a GS1 code does not parse, said in words of ours: biip's are English."""
    mismatch = _AI_MISMATCH.search(reason)
    if mismatch is not None:
        ai, value = mismatch["ai"], mismatch["value"]
        held = value.removeprefix(ai)  # biip quotes the AI with its data
        return Invalid("barcode.gs1_ai_invalid", {"barcode": raw, "ai": ai, "value": held})
    check = _CHECK_DIGIT.search(reason)
    if check is not None:
        return Invalid("barcode.gs1_check_digit", {"barcode": raw, **check.groupdict()})
    return Invalid("barcode.gs1_invalid", {"barcode": raw})


def _printed_forms(gtin: biip.gtin.Gtin) -> list[str]:
    forms = []
    for convert in (gtin.as_gtin_13, gtin.as_gtin_12, gtin.as_gtin_8):
        try:
            forms.append(convert())
        except biip.EncodeError:
            continue  # too long for that form
    return forms


def ean13(first_twelve: str) -> str:
    """The EAN-13 code of twelve digits: them and their check digit."""
    if len(first_twelve) != 12 or not first_twelve.isdigit():
        raise ValueError(f"twelve digits expected, not {first_twelve!r}")
    weighted = sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(first_twelve))
    return first_twelve + str(-weighted % 10)
