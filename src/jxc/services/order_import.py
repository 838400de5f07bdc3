"""Order import: a shop's order export (CSV or XLSX) becomes our sales orders, once.

The file and its mapping are checked whole first (headings, every row's cells, shop order
numbers imported before); then every order is created, and taken through the steps the
mapping names (approve: 预占), in one transaction: one refused order and nothing is imported. The
digest of the file, its importer and its channel is the request id, so importing the same
file again changes nothing and answers with the orders it made the first time.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

import yaml
from openpyxl import load_workbook
from pydantic import BaseModel, ConfigDict, Field

from jxc.db.uow import UnitOfWork
from jxc.domain.auth import Action
from jxc.domain.errors import DomainError, ErrorCollector, Invalid
from jxc.domain.partners import PartnerKind
from jxc.domain.shop_orders import FIELDS, ShopMapping, check_headings, orders_in
from jxc.services import documents
from jxc.services.auth import require
from jxc.services.base import WrittenNumber, parse, remember, replay, transactional
from jxc.services.tables import check_headings_unique, decoded, numbered

MAX_ROWS = 50_000


class MappingIn(BaseModel):
    """How a shop's export reads: its columns, its SKUs here, the channel and warehouse."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    channel: str = Field(min_length=1, max_length=32)
    warehouse: str = Field(min_length=1, max_length=32)
    columns: dict[str, str]
    skus: dict[str, str | dict[str, WrittenNumber]]  # shop SKU → an item, or a bundle's items
    tax_rate: WrittenNumber = Decimal(0)
    prices_include_tax: bool = True
    # Workflow steps each order takes as it is imported: ["approve"] reserves at once in the
    # one-step workflow; ["submit"] sends it for approval in the SOP.
    steps: list[str] = Field(default_factory=list, max_length=5)


@dataclass(frozen=True)
class Imported:
    orders: list[tuple[str, str]]  # (the shop's order number, ours)
    lines: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_table(filename: str, content: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Headings and rows (with their row numbers) of a CSV or XLSX file.

    Raises:
        Invalid: import.unsupported_format, file.empty, file.not_xlsx, file.not_text,
            file.column_repeated, file.too_many_rows.
    """
    name = filename.lower()
    if name.endswith(".xlsx"):
        try:
            sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).active
        except Exception:  # openpyxl raises many kinds, with reasons no user can act on
            raise Invalid("file.not_xlsx", {"file": filename}) from None
        table = [
            ["" if cell is None else _text(cell) for cell in row]
            for row in (sheet.iter_rows(values_only=True) if sheet is not None else [])
        ]
    elif name.endswith(".csv"):
        table = list(csv.reader(io.StringIO(decoded(filename, content))))
    else:
        raise Invalid("import.unsupported_format", {"file": filename})
    rows = numbered(table)
    if not rows:
        raise Invalid("file.empty", {"file": filename})
    if len(rows) > MAX_ROWS + 1:
        raise Invalid("file.too_many_rows", {"file": filename, "maximum": MAX_ROWS})
    headings = [cell.strip() for cell in rows[0][1]]
    check_headings_unique(filename, headings)
    return headings, [(number, dict(zip(headings, row, strict=False))) for number, row in rows[1:]]


def _text(cell: object) -> str:
    if isinstance(cell, float):  # a spreadsheet's number: its shortest exact spelling
        return repr(cell).removesuffix(".0")
    return str(cell)


def _mapping(data: MappingIn) -> ShopMapping:
    errors = ErrorCollector()
    missing = [field for field in FIELDS if field not in data.columns]
    for field in missing:
        errors.add(f"/columns/{field}", "import.mapping_column_required", field=field)
    errors.raise_if_any()
    skus = {
        sku: ({target: Decimal(1)} if isinstance(target, str) else dict(target))
        for sku, target in data.skus.items()
    }
    return ShopMapping(data.columns, skus, data.tax_rate)


def read_mapping(text: str, filename: str) -> dict[str, Any]:
    """A mapping file's terms (YAML, or JSON, which YAML reads too), for ``import_orders``.

    Raises:
        Invalid: file.yaml_syntax, naming the row and column where the file stops making
            sense.
    """
    try:
        terms = yaml.safe_load(text)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = (
            {"row": mark.line + 1, "column": mark.column + 1} if mark else {"row": 1, "column": 1}
        )
        raise Invalid("file.yaml_syntax", {"file": filename, **where}) from None
    except yaml.YAMLError:
        raise Invalid("file.yaml_syntax", {"file": filename, "row": 1, "column": 1}) from None
    return terms or {}


@transactional
def import_orders(
    uow: UnitOfWork,
    actor: str,
    filename: str,
    content: bytes,
    mapping: MappingIn | dict[str, Any],
) -> Imported:
    """Import a shop's orders file as sales orders of its channel.

    Raises:
        Invalid: the file's or the mapping's problems, each row and column named
            (import.column_missing, import.sku_unknown, import.not_a_number,
            import.order_imported …), or each order refused (stock.insufficient …).
        Conflict: request.idempotency_key_reused (the same file with another mapping).
    """
    terms = parse(MappingIn, mapping)
    require(uow, actor, Action.DOCUMENT_CREATE, "sales_order", [terms.warehouse])
    # Each user's: another importing the same file is told which orders are in already.
    # Hashed whole, so that a long user name or channel code still fits a request id.
    sender = f"{actor}\x00{terms.channel}\x00".encode()
    request_id = f"import:{hashlib.sha256(sender + content).hexdigest()}"
    payload = terms.model_dump(mode="json")
    seen = replay(uow, actor, request_id, "orders.import", payload)
    if seen is not None:
        return Imported([tuple(pair) for pair in seen["orders"]], seen["lines"])
    shop = _mapping(terms)
    headings, rows = read_table(filename, content)
    check_headings(headings, shop)
    errors = ErrorCollector()
    orders = orders_in(rows, shop, errors)
    found = uow.partners.find(terms.channel)
    if found is None or found["kind"] != PartnerKind.CHANNEL:
        errors.add("/channel", "partner.not_channel", partner=terms.channel, kind="-")
    else:
        for external, ours in uow.orders.imported(int(found["id"]), orders).items():
            first = orders[external][0].row
            errors.add(
                f"/rows/{first}/{terms.columns['order_number']}",
                "import.order_imported",
                order=external,
                number=ours,
                row=first,
            )
    errors.raise_if_any()
    assert found is not None
    made: list[tuple[str, str]] = []
    for external, lines in orders.items():
        try:
            result = documents.creating(
                uow,
                actor,
                {
                    "document_type": "sales_order",
                    "warehouse": terms.warehouse,
                    "partner": terms.channel,
                    "note": f"{terms.channel} {external}",
                    "prices_include_tax": terms.prices_include_tax,
                    "lines": [
                        {
                            "item": line.item,
                            "quantity": line.quantity,
                            "unit_price": line.unit_price,
                            "tax_rate": line.tax_rate,
                        }
                        for line in lines
                    ],
                },
                then=terms.steps[0] if terms.steps else None,
            )
            for step in terms.steps[1:]:
                documents.stepping(uow, actor, result.number, step)
        except DomainError as refused:
            rows_of = ", ".join(str(row) for row in sorted({line.row for line in lines}))
            for item in refused.items or []:
                errors.add(f"/orders/{external}", item.code, **dict(item.params), rows=rows_of)
            if not refused.items:
                errors.add(f"/orders/{external}", refused.code, **refused.params, rows=rows_of)
            continue
        header = uow.documents.header(result.number)
        assert header is not None
        uow.orders.add_imported(int(found["id"]), external, header.id)
        made.append((external, result.number))
    errors.raise_if_any()
    imported = Imported(made, sum(len(lines) for lines in orders.values()))
    remember(uow, actor, request_id, "orders.import", payload, imported.to_dict())
    uow.commit()
    return imported
