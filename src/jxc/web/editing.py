"""修改: a draft, or a document sent back by 驳回, edited on the scan screen it was made on.

The screen opens with the document's header and lines; scans, typed quantities, costs and
prices and lines taken out work as when it was made, and 保存修改 replaces its lines
(``documents.edit``). What no scan sets (a line's production date, discount, order line or
location) is kept as it was.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.domain.auth import Principal
from jxc.domain.documents import DocumentType
from jxc.domain.errors import Conflict, DomainError
from jxc.domain.quantities import normalized
from jxc.queries import documents as document_queries
from jxc.services import documents
from jxc.services.documents import DocumentIn
from jxc.web.forms import form_errors
from jxc.web.pages import (
    ENTRIES,
    AppDep,
    EntryHeader,
    UserDep,
    WriterDep,
    check_line,
    document_data,
    entry_context,
    entry_header,
)
from jxc.web.render import locale_of
from jxc.web.scanning import lines_from, scan_page, take_scan

router = APIRouter(include_in_schema=False)


def _kind(entered: DocumentIn, number: str) -> DocumentType:
    """Raises Conflict document.not_editable_on_web for a type made on no scan screen."""
    if entered.document_type not in ENTRIES.values():
        raise Conflict("document.not_editable_on_web", {"number": number})
    return entered.document_type


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return f"{normalized(value):f}" if not isinstance(value, (str, int)) else str(value)


def _opened(app: App, user: Principal, number: str) -> tuple[DocumentType, EntryHeader, list[Any]]:
    """The document's type, header and lines as its scan screen holds them."""
    documents.check_visible(app.uow(), user.username, number)
    entered = documents.as_entered(app.uow(), user.username, number)
    kind = _kind(entered, number)
    with app.reader() as connection:
        stored = document_queries.document(connection, number)[1]
    names = {line.item: line.item_name for line in stored}
    first = entered.lines[0]
    header = EntryHeader(
        warehouse=entered.warehouse,
        to_warehouse=entered.to_warehouse or "",
        partner=entered.partner or "",
        note=entered.note or "",
        location=(first.location or "") if kind.moves_within else "",
        to_location=(first.to_location or "") if kind.moves_within else "",
        source=entered.source or "",
    )
    lines = [
        {
            "item": line.item,
            "item_name": names.get(line.item, ""),
            "unit": line.unit,
            "quantity": _text(line.quantity),
            "batch": line.batch,
            "expiry_date": line.expiry_date.isoformat() if line.expiry_date else None,
            "serials": list(line.serials),
            "unit_cost": _text(line.unit_cost),
            "unit_price": _text(line.unit_price),
            "tax_rate": _text(line.tax_rate),
            "discount_rate": _text(line.discount_rate),
            "production_date": line.production_date.isoformat() if line.production_date else None,
            "source_line": line.source_line,
            "location": line.location,
            "to_location": line.to_location,
        }
        for line in entered.lines
    ]
    return kind, header, lines


def _context(
    app: App, user: Principal, number: str, kind: DocumentType, header: EntryHeader
) -> dict[str, Any]:
    return {
        **entry_context(user, app, kind, header),
        "editing": number,
        "form_action": f"/documents/{number}/edit",
        "scan_url": f"/documents/{number}/edit/scan",
    }


@router.get("/documents/{number}/edit")
async def edit_page(request: Request, app: AppDep, user: UserDep, number: str) -> Response:
    kind, header, lines = await run_in_threadpool(_opened, app, user, number)
    context = await run_in_threadpool(_context, app, user, number, kind, header)
    return scan_page(request, "entry.html", user, context, lines, [])


@router.post("/documents/{number}/edit/scan")
async def edit_scan(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    code: Annotated[str, Form()] = "",
    scan_id: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
) -> Response:
    """One scan onto the document being edited: checked as its lines would be."""
    kind, _, _ = await run_in_threadpool(_opened, app, user, number)

    def check(form: Any, lines: list[dict[str, Any]], line_number: int) -> None:
        check_line(app, user, document_data(kind, entry_header(form), lines), line_number)

    return await take_scan(request, app, user, kind, code, scan_id, state, check)


@router.post("/documents/{number}/edit")
async def save(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    state: Annotated[str, Form()] = "",
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """保存修改: the header as shown and the lines as scanned replace the document's."""
    kind, stored_header, stored_lines = await run_in_threadpool(_opened, app, user, number)
    form = await request.form()
    lines, scans = lines_from(state, form)
    header = entry_header(form)
    stored = document_data(kind, stored_header, stored_lines)
    # Only what differs: saving an unchanged screen is "nothing to change", not an edit.
    changes = {
        key: value
        for key, value in document_data(kind, header, lines).items()
        if key not in ("document_type", "source") and value != stored.get(key)
    }
    try:
        await run_in_threadpool(
            documents.edit, app.uow(), user.username, number, changes, request_id
        )
    except DomainError as error:
        context = await run_in_threadpool(_context, app, user, number, kind, header)
        errors = form_errors(error, locale_of(request))
        return scan_page(request, "entry.html", user, context, lines, scans, 422, errors)
    return RedirectResponse(f"/documents/{number}", status_code=303)
