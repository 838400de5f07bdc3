"""拣货 and 复核 screens: a sales delivery's goods picked and checked by scanning.

The pick screen lists where the order's goods wait (its reservations, by location and
FEFO batch); each scan adds to what was picked and is refused at once if the delivery
does not have that item or has fewer. The 复核 screen is the same scan by someone else;
a wrong item, a wrong batch or one too many is refused as it is scanned.
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.domain.auth import Principal
from jxc.domain.documents import DocumentType
from jxc.domain.errors import DomainError, NotFound
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.services import catalog, deliveries, documents
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep, WriterDep
from jxc.web.render import locale_of, page
from jxc.web.scanning import add_scan, lines_from

router = APIRouter(include_in_schema=False)
Step = Literal["pick", "check"]


def _scans(lines: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "scans": [
            {
                "item": line["item"],
                "batch": line.get("batch"),
                "quantity": line["quantity"],
                "unit": line["unit"],
                "serials": line.get("serials") or [],
            }
            for line in lines
        ]
    }


def _context(app: App, user: Principal, number: str, step: str) -> dict[str, Any]:
    documents.check_visible(app.uow(), user.username, number)
    with app.reader() as connection:
        header, lines = document_queries.document(connection, number)
        if header.document_type != DocumentType.SALES_DELIVERY.value:
            raise NotFound("delivery.unknown", {"number": number})
        picks = order_queries.pick_list(connection, number) if step == "pick" else []
    return {"header": header, "expected": lines, "picks": picks, "step": step}


def _scan_page(
    request: Request,
    user: Principal,
    context: dict[str, Any],
    lines: list[dict[str, Any]],
    scans: list[str],
    status_code: int = 200,
    errors: FormErrors | None = None,
) -> Response:
    return page(
        request,
        "delivery_scan.html",
        status_code,
        user=user,
        kind=DocumentType.SALES_DELIVERY.value,
        lines=lines,
        state=json.dumps({"lines": lines, "scans": scans}, ensure_ascii=False),
        scan_error="",
        errors=errors or FormErrors(),
        **context,
    )


@router.get("/deliveries/{number}/{step}")
async def scan_page(
    request: Request, app: AppDep, user: UserDep, number: str, step: Step
) -> Response:
    context = await run_in_threadpool(_context, app, user, number, step)
    return _scan_page(request, user, context, [], [])


@router.post("/deliveries/{number}/{step}/scan")
async def scan(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    step: Step,
    code: Annotated[str, Form()] = "",
    scan_id: Annotated[str, Form()] = "",
    state: Annotated[str, Form()] = "",
) -> Response:
    """One scan: the lines re-drawn, or the refusal next to the scan field (422)."""
    scan_error, status = "", 200
    try:
        lines, scans = lines_from(state, await request.form())
    except DomainError as error:
        lines, scans = [], []
        scan_error, status = form_errors(error, locale_of(request)).summary_or_first(), 422
    if status == 200 and not (scan_id and scan_id in scans):  # a resent scan counts once
        try:
            scanned = await run_in_threadpool(
                catalog.scan, app.uow(), user.username, code, DocumentType.SALES_DELIVERY
            )
            added = [dict(line, serials=list(line["serials"])) for line in lines]
            add_scan(added, scanned)
            await run_in_threadpool(
                deliveries.check_scans, app.uow(), user.username, number, step, _scans(added)
            )
            lines = added
            scans.append(scan_id or secrets.token_hex(8))
        except DomainError as error:
            scan_error, status = form_errors(error, locale_of(request)).summary_or_first(), 422
    return page(
        request,
        "_lines.html",
        status,
        kind=DocumentType.SALES_DELIVERY.value,
        lines=lines,
        state=json.dumps({"lines": lines, "scans": scans[-500:]}, ensure_ascii=False),
        scan_error=scan_error,
        errors=FormErrors(),
    )


@router.post("/deliveries/{number}/{step}")
async def hand_in(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    step: Step,
    state: Annotated[str, Form()] = "",
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """拣货 done or 复核 done: the step taken with what was scanned."""
    lines, scans = lines_from(state, await request.form())
    service = deliveries.pick if step == "pick" else deliveries.check
    try:
        await run_in_threadpool(
            service, app.uow(), user.username, number, _scans(lines), request_id
        )
    except DomainError as error:
        context = await run_in_threadpool(_context, app, user, number, step)
        errors = form_errors(error, locale_of(request))
        return _scan_page(request, user, context, lines, scans, 422, errors)
    return RedirectResponse(f"/documents/{number}", status_code=303)
