"""拣货 and 复核 screens: a sales delivery's goods picked and checked by scanning.

The pick screen lists where the order's goods wait (its reservations, by location and
FEFO batch); each scan adds to what was picked and is refused at once if the delivery
does not have that item or has fewer. The 复核 screen is the same scan by someone else;
a wrong item, a wrong batch or one too many is refused as it is scanned.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.domain.auth import Principal
from jxc.domain.documents import DocumentType
from jxc.domain.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from jxc.queries import documents as document_queries
from jxc.services import deliveries, documents
from jxc.web.forms import form_errors
from jxc.web.pages import AppDep, UserDep, WriterDep
from jxc.web.render import locale_of
from jxc.web.scanning import lines_from, scan_page, take_scan

router = APIRouter(include_in_schema=False)
Step = Literal["pick", "check"]
_PAGE = "delivery_scan.html"


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


def _picks(
    app: App, user: Principal, number: str, lines: list[dict[str, Any]]
) -> list[tuple[Any, Any]]:
    """The pick list, each row with what the lines scanned so far took of it."""
    return deliveries.pick_progress(app.uow(), user.username, number, _scans(lines))


def _context(
    app: App,
    user: Principal,
    number: str,
    step: str,
    scanned: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The screen's header and lists; ``scanned``: the lines so far (none: a new screen)."""
    documents.check_visible(app.uow(), user.username, number)
    with app.reader() as connection:
        header, lines = document_queries.document(connection, number)
        if header.document_type != DocumentType.SALES_DELIVERY.value:
            raise NotFound("delivery.unknown", {"number": number})
    picks = _picks(app, user, number, scanned or []) if step == "pick" else []
    return {
        "header": header,
        "expected": lines,
        "picks": picks,
        "step": step,
        "kind": DocumentType.SALES_DELIVERY.value,
        # What was picked or checked is what was scanned, a count typed beside a scan
        # included (200 screws are not scanned 200 times): no quantity typed over a line.
        "typed_lines": False,
        "batch_field": True,  # a batch item without a barcode: its batch typed from the list
    }


@router.get("/deliveries/{number}/{step}")
async def delivery_scan_page(
    request: Request, app: AppDep, user: UserDep, number: str, step: Step
) -> Response:
    context = await run_in_threadpool(_context, app, user, number, step)
    try:
        await run_in_threadpool(deliveries.check_step_open, app.uow(), user.username, number, step)
    # past this step, not theirs, or not a step of its workflow: why, and no scan field
    except (Conflict, Forbidden, Invalid) as error:
        errors = form_errors(error, locale_of(request))
        status = 403 if isinstance(error, Forbidden) else 409
        return scan_page(request, _PAGE, user, {**context, "closed": True}, [], [], status, errors)
    return scan_page(request, _PAGE, user, context, [], [])


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

    def check(_form: Any, lines: list[dict[str, Any]], _number: int) -> None:
        deliveries.check_scans(app.uow(), user.username, number, step, _scans(lines))

    def picks(lines: list[dict[str, Any]]) -> dict[str, Any]:
        return {"picks": _picks(app, user, number, lines), "picks_redrawn": True}

    return await take_scan(
        request,
        app,
        user,
        DocumentType.SALES_DELIVERY,
        code,
        scan_id,
        state,
        check,
        typed=False,
        redrawn=picks if step == "pick" else None,
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
    short_confirmed: Annotated[bool, Form()] = False,
) -> Response:
    """拣货 done or 复核 done: the step taken with what was scanned.

    A pick of less than the delivery is handed in only once confirmed on the screen.
    """
    lines, scans = lines_from(state, await request.form(), typed=False)
    taken = _scans(lines)
    try:
        if step == "pick":
            await run_in_threadpool(
                deliveries.pick,
                app.uow(),
                user.username,
                number,
                taken,
                request_id,
                short_confirmed,
            )
        else:
            await run_in_threadpool(
                deliveries.check, app.uow(), user.username, number, taken, request_id
            )
    except DomainError as error:
        context = await run_in_threadpool(_context, app, user, number, step, lines)
        errors = form_errors(error, locale_of(request))
        short = any(item.code == "scan.picked_short" for item in error.items)
        context["ask_short"] = short
        return scan_page(request, _PAGE, user, context, lines, scans, 422, errors)
    return RedirectResponse(f"/documents/{number}", status_code=303)
