"""修改: a draft, or a document sent back by 驳回, edited on the scan screen it was made on.

The screen opens with the document's header and lines; scans, typed quantities, costs and
prices and lines taken out work as when it was made, and 保存修改 replaces its lines
(``documents.edit``). What no scan sets (a line's production date, discount, order line or
location) is kept as it was.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.domain.auth import Principal
from jxc.domain.documents import DocumentType
from jxc.domain.errors import Conflict, DomainError
from jxc.domain.quantities import normalized
from jxc.queries import audit
from jxc.queries import documents as document_queries
from jxc.services import documents
from jxc.web.forms import form_errors
from jxc.web.pages import (
    HISTORY_LIMIT,
    AppDep,
    EntryHeader,
    UserDep,
    WriterDep,
    check_line,
    check_unless_answered,
    document_data,
    entry_context,
    entry_header,
    made_by_scanning,
)
from jxc.web.render import locale_of
from jxc.web.scanning import lines_from, scan_page, take_scan

router = APIRouter(include_in_schema=False)


def _stored(app: App, user: Principal, number: str) -> tuple[DocumentType, dict[str, str]]:
    """The document's type and its items' names, whether or not it may be edited now.

    Raises:
        NotFound: document.unknown (to ``user`` too, outside their warehouses).
        Conflict: document.not_editable_on_web (a type made on no scan screen).
    """
    documents.check_visible(app.uow(), user.username, number)
    with app.reader() as connection:
        header, lines = document_queries.document(connection, number)
    if not made_by_scanning(header.document_type):
        raise Conflict("document.not_editable_on_web", {"number": number})
    return DocumentType(header.document_type), {line.item: line.item_name for line in lines}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return f"{normalized(value):f}" if not isinstance(value, (str, int)) else str(value)


def _opened(
    app: App, user: Principal, number: str, kind: DocumentType, names: dict[str, str]
) -> tuple[EntryHeader, list[Any], int | None]:
    """The document's header and lines as its scan screen holds them, and its version.

    Raises:
        Conflict: document.not_editable (no longer), document.reversal_not_editable.
        Forbidden: auth.forbidden… (``user`` may not edit it).
    """
    entered, version = documents.as_entered(app.uow(), user.username, number)
    places = {(line.location, line.to_location) for line in entered.lines}
    # Lines that all go from one place to one other follow the header's two fields; lines
    # that went to different places keep theirs, and the fields are for new scans.
    shared = kind.moves_within and len(places) == 1
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
            "location": None if shared else line.location,
            "to_location": None if shared else line.to_location,
        }
        for line in entered.lines
    ]
    return header, lines, version


def _context(
    app: App,
    user: Principal,
    number: str,
    kind: DocumentType,
    header: EntryHeader,
    based_on: str,
) -> dict[str, Any]:
    with app.reader() as connection:
        history = audit.log(connection, document=number, limit=HISTORY_LIMIT)
    reasons = [json.loads(event.payload).get("reason") for event in history]
    return {
        **entry_context(user, app, kind, header),
        "editing": number,
        # why it was sent back (驳回, 反审核): what the edit is to put right
        "reason": next((reason for reason in reversed(reasons) if reason), None),
        "based_on": based_on,
        "form_action": f"/documents/{number}/edit",
        "scan_url": f"/documents/{number}/edit/scan",
    }


@router.get("/documents/{number}/edit")
async def edit_page(request: Request, app: AppDep, user: UserDep, number: str) -> Response:
    kind, names = await run_in_threadpool(_stored, app, user, number)
    header, lines, version = await run_in_threadpool(_opened, app, user, number, kind, names)
    context = await run_in_threadpool(_context, app, user, number, kind, header, str(version or ""))
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
    """One scan onto the document being edited, checked as its lines would be.

    Refused once the document may no longer be edited (handed in meanwhile).
    """
    kind, _ = await run_in_threadpool(_stored, app, user, number)

    def check(form: Any, lines: list[dict[str, Any]], line_number: int) -> None:
        documents.check_editable(app.uow(), user.username, number)
        check_line(app, user, kind, form, lines, line_number, editing=number)

    return await take_scan(request, app, user, kind, code, scan_id, state, check)


@router.post("/documents/{number}/edit")
async def save(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    state: Annotated[str, Form()] = "",
    based_on: Annotated[str, Form()] = "",
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """保存修改: the header as shown and the lines as scanned replace the document's.

    Refused, keeping the screen as it was, for a bad line, for a document changed by
    someone else since the screen opened (``based_on``: its version then) or handed in.
    """
    kind, _ = await run_in_threadpool(_stored, app, user, number)
    form = await request.form()
    lines, scans = lines_from(state, form)
    header = entry_header(form)
    data = document_data(kind, header, lines)
    changes = {key: value for key, value in data.items() if key not in ("document_type", "source")}
    try:
        await run_in_threadpool(check_unless_answered, app, user, data, request_id, number)
        await run_in_threadpool(
            documents.edit,
            app.uow(),
            user.username,
            number,
            {**changes, "based_on": based_on or None},
            request_id,
        )
    except DomainError as error:
        context = await run_in_threadpool(_context, app, user, number, kind, header, based_on)
        errors = form_errors(error, locale_of(request))
        return scan_page(request, "entry.html", user, context, lines, scans, 422, errors)
    return RedirectResponse(f"/documents/{number}", status_code=303)
