"""The pages: sign-in, the home page per role, documents, receiving by scan, stock.

Each route reads through queries and writes through services, as the API does; a refused
step comes back as a message on the page, in the user's language.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, BeforeValidator
from starlette.concurrency import run_in_threadpool

from jxc import exports
from jxc.bootstrap import App
from jxc.config import SESSION_COOKIE
from jxc.domain.auth import Action, Principal, check_csrf, csrf_token
from jxc.domain.documents import DocumentKind, DocumentType
from jxc.domain.errors import DomainError, Forbidden, Invalid, NotFound, Unauthenticated
from jxc.domain.partners import PARTNERS_OF
from jxc.domain.workflow import DOCUMENT_TYPES, mermaid
from jxc.exports import XLSX_MAX_ROWS, ExportFormat
from jxc.i18n.messages import translate, vocabulary
from jxc.queries import SEQUENCE_MAX, audit, stock_levels
from jxc.queries import catalog as catalog_queries
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.queries import partners as partner_queries
from jxc.services import auth, documents, orders, replenishment, stocktakes, workflows
from jxc.web.forms import FormErrors, form_errors
from jxc.web.render import LANGUAGE_COOKIE, download, locale_of, page
from jxc.web.scanning import lines_from, scan_page, take_scan

router = APIRouter(include_in_schema=False)
LIST_LIMIT = 200  # rows a list page shows; its export has them all
MAX_PAGE_NUMBER = 10**6
HISTORY_LIMIT = 100_000  # a document's steps: all of them
EXPORT_LIMIT = XLSX_MAX_ROWS
# The lists beside the document list (web/order_lists.py), as tabs above each: path → title.
LIST_TABS = {
    "in-progress": "label.orders_in_progress",
    "awaiting-qc": "label.awaiting_qc",
    "returns": "label.returns",
}
# A filter form's empty choice ("every kind") arrives as an empty string.
Blank = BeforeValidator(lambda value: value or None)


class SignInRequired(Exception):
    """Raised for a page that needs a signed-in user: the answer is the sign-in page."""


async def get_app(request: Request) -> App:
    app: App = request.app.state.jxc
    return app


AppDep = Annotated[App, Depends(get_app)]


async def get_user(request: Request, app: AppDep) -> Principal:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    try:
        username = await run_in_threadpool(auth.session_user, app.uow(), token)
        return await run_in_threadpool(auth.reader, app.uow(), username)
    except Unauthenticated:
        raise SignInRequired from None


UserDep = Annotated[Principal, Depends(get_user)]


async def get_writer(request: Request, user: UserDep) -> Principal:
    """A write must carry the token of the session's own pages (form field or htmx header)."""
    check_csrf(request.cookies.get(SESSION_COOKIE, ""), await _sent_csrf(request))
    return user


async def _sent_csrf(request: Request) -> str:
    form = await request.form()
    return request.headers.get("x-csrf-token") or str(form.get("csrf", ""))


WriterDep = Annotated[Principal, Depends(get_writer)]


# signing in ----------------------------------------------------------------------------------


# Before signing in there is no session to bind the CSRF token to: the sign-in page sets a
# random cookie of its own, and the form must send back the token made from it, so a page
# of another site cannot sign the browser in under someone else's name.
LOGIN_COOKIE = "jxc_login"


def _login_page(
    request: Request,
    status_code: int = 200,
    errors: FormErrors | None = None,
    username: str = "",
    then: str = "",
) -> Response:
    nonce = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = page(
        request,
        "login.html",
        status_code,
        errors=errors or FormErrors(),
        username=username,
        then=_on_this_site(then or request.query_params.get("next", "")),
        login_csrf=csrf_token(nonce),
    )
    response.set_cookie(LOGIN_COOKIE, nonce, httponly=True, samesite="strict")
    return response


def _on_this_site(path: str) -> str:
    """``path`` if it is a page of this site, else nothing: no sign-in sends anyone away."""
    local = path.startswith("/") and not path.startswith("//")
    return path if local and not any(c in path for c in "\\\r\n") else ""


@router.get("/login")
async def login_page(request: Request) -> Response:
    return _login_page(request)


@router.post("/login")
async def login(
    request: Request,
    app: AppDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    then: Annotated[str, Form(alias="next")] = "",
) -> Response:
    try:
        check_csrf(request.cookies.get(LOGIN_COOKIE, ""), await _sent_csrf(request))
        session = await run_in_threadpool(auth.login, app.uow(), username, password)
    except DomainError as error:
        errors = form_errors(error, locale_of(request))
        status = 403 if isinstance(error, Forbidden) else 401
        return _login_page(request, status, errors, username, then)
    response = RedirectResponse(_on_this_site(then) or "/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=int((session.expires_at - app.clock()).total_seconds()),
    )
    return response


@router.post("/logout")
async def logout(request: Request, app: AppDep, user: WriterDep) -> Response:
    await run_in_threadpool(auth.logout, app.uow(), request.cookies.get(SESSION_COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/language/{locale}")
async def choose_language(request: Request, locale: str) -> Response:
    back = request.headers.get("referer") or "/"
    response = RedirectResponse(back if back.startswith(str(request.base_url)) else "/", 303)
    if locale in ("zh_CN", "en"):
        response.set_cookie(LANGUAGE_COOKIE, locale, max_age=365 * 86400, samesite="lax")
    return response


# home and documents --------------------------------------------------------------------------


def _overdue(app: App, user: Principal) -> list[workflows.Overdue]:
    return [
        late
        for late in workflows.overdue(app.uow())
        if user.sees(late.document.warehouse, late.document.to_warehouse)
    ]


def _in_flow(app: App, user: Principal) -> list[tuple[str, list[tuple[str, int]]]]:
    """Per document type, how many of the user's documents wait in each step (not final)."""
    found = []
    for kind in DOCUMENT_TYPES:
        workflow, counts = workflows.flow(app.uow(), user.username, kind)
        steps = [
            (name, counts[name])
            for name, state in workflow.states.items()
            if not state.final and counts.get(name)
        ]
        if steps:
            found.append((kind, steps))
    return found


@router.get("/")
async def home(request: Request, app: AppDep, user: UserDep) -> Response:
    waiting = await run_in_threadpool(documents.waiting_for, app.uow(), user.username)
    counts_to_approve = await run_in_threadpool(
        stocktakes.awaiting_approval, app.uow(), user.username
    )
    counts_to_take = await run_in_threadpool(stocktakes.to_count, app.uow(), user.username)
    overdue = await run_in_threadpool(_overdue, app, user)
    in_flow = await run_in_threadpool(_in_flow, app, user)
    counts: dict[str, int] = {}
    if user.may_somewhere(Action.WAREHOUSE_MANAGE):  # managers see 库存预警 at a glance
        counts = await run_in_threadpool(replenishment.alert_counts, app.uow(), user.username)
    return page(
        request,
        "home.html",
        user=user,
        waiting=waiting,
        counts_to_approve=counts_to_approve,
        counts_to_take=counts_to_take,
        overdue=overdue,
        in_flow=in_flow,
        alert_counts=counts,
    )


# the flow and the audit trail ------------------------------------------------------------------


@router.get("/sop/{document_type}")
async def flow_page(request: Request, app: AppDep, user: UserDep, document_type: str) -> Response:
    if document_type not in DOCUMENT_TYPES:
        known = {"value": document_type, "types": list(DOCUMENT_TYPES)}
        raise NotFound("document.type_unknown", known)
    workflow, counts = await run_in_threadpool(
        workflows.flow, app.uow(), user.username, document_type
    )
    locale = locale_of(request)
    chart = mermaid(workflow, counts, lambda prefix, name: vocabulary(prefix, name, locale))
    return page(
        request,
        "sop.html",
        user=user,
        document_type=document_type,
        document_types=DOCUMENT_TYPES,
        workflow=workflow,
        counts=counts,
        chart=chart,
    )


@router.get("/audit")
async def audit_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    document: str | None = None,
    actor: str | None = None,
    before: Annotated[int | None, Query(ge=1, le=SEQUENCE_MAX)] = None,
    format: ExportFormat | None = None,
) -> Response:
    """The newest events first, a page at a time: ``before`` the oldest of the page shown."""

    def read() -> list[Any]:
        auth.allow(app.uow(), user.username, Action.AUDIT_READ)
        with app.reader() as connection:
            return audit.log(
                connection,
                document=document or None,
                actor=actor or None,
                limit=EXPORT_LIMIT if format else LIST_LIMIT + 1,
                before=None if format else before,
            )

    events = await run_in_threadpool(read)
    if format:
        return download(request, exports.AUDIT, events, format, "audit")
    shown = events[-LIST_LIMIT:]  # oldest first, as the log reads
    return page(
        request,
        "audit.html",
        user=user,
        events=shown[::-1],  # newest on top, as every list of the web app
        newer_url=_with_query(request, before=None) if before else None,
        newer_label="label.web_newest",  # the newest page, not the one before
        older_url=(
            _with_query(request, before=shown[0].sequence) if len(events) > LIST_LIMIT else None
        ),
        document=document or "",
        actor=actor or "",
    )


def _with_query(request: Request, **changes: Any) -> str:
    """This page's address with query parameters changed (None: left out), for a link."""
    kept = {k: v for k, v in request.query_params.items() if k not in changes}
    wanted = {k: str(v) for k, v in changes.items() if v is not None}
    return f"{request.url.path}?{urlencode({**kept, **wanted})}"


@router.get("/documents")
async def document_list(
    request: Request,
    app: AppDep,
    user: UserDep,
    document_type: str | None = None,
    state: str | None = None,
    kind: Annotated[DocumentKind | None, Blank] = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE_NUMBER)] = 1,
    format: ExportFormat | None = None,
) -> Response:
    """The newest documents first, a page at a time."""

    def read() -> list[Any]:
        named = workflows.state_named(app.uow(), state) if state else None
        with app.reader() as connection:
            return document_queries.documents(
                connection,
                document_type or None,
                named,
                limit=EXPORT_LIMIT if format else LIST_LIMIT + 1,
                offset=0 if format else (page_number - 1) * LIST_LIMIT,
                visible=user.visible_warehouses,
                kind=kind,
            )

    shown: dict[str, Any] = {
        "user": user,
        "document_type": document_type or "",
        "state": state or "",
        "kind": kind or "",
        "kinds": list(DocumentKind),
        "tabs": LIST_TABS,
        "page_number": page_number,
        "newer_url": _with_query(request, page=page_number - 1) if page_number > 1 else None,
        "first_page_url": _with_query(request, page=None),
        "older_url": None,
    }
    try:
        rows = await run_in_threadpool(read)
    except Invalid as unknown:  # a state no document can be in: said, not an empty list
        refusal = translate(unknown.code, locale_of(request), **unknown.params)
        return page(request, "documents.html", 422, rows=[], refusal=refusal, **shown)
    if format:
        return download(request, exports.DOCUMENTS, rows, format, "documents")
    if len(rows) > LIST_LIMIT:
        shown["older_url"] = _with_query(request, page=page_number + 1)
    return page(request, "documents.html", rows=rows[:LIST_LIMIT], **shown)


def _document(app: App, user: Principal, number: str) -> dict[str, Any]:
    with app.reader() as connection:
        header, lines = document_queries.document(connection, number)
        if not user.sees(header.warehouse, header.to_warehouse):
            raise NotFound("document.unknown", {"number": number})
        history = audit.log(connection, document=number, limit=HISTORY_LIMIT)
        priced = order_queries.priced_lines(connection, number)
        booked = document_queries.booked_unit_costs(connection, number)
        batches = document_queries.batches_taken(connection, number)
        returned = document_queries.returned_per_line(connection, number)
        source = order_queries.source_of(connection, number)
        made = order_queries.made_from(connection, number)
    steps = documents.next_steps(app.uow(), user.username, number)
    estimate = documents.estimate(app.uow(), user.username, number)
    can_push_down = orders.can_push_down(app.uow(), user.username, number)
    progress = order_queries.progress(header.document_type, priced)
    return {
        "header": header,
        "lines": lines,
        "history": history,
        # 驳回 and 反审核 say why: the clerk who gets the document back reads it here
        "reasons": {e.sequence: json.loads(e.payload).get("reason") for e in history},
        "steps": steps.open,
        "withheld": steps.withheld,  # separation of duties: each says why it is not offered
        "priced": priced,
        "booked": booked,
        # not yet posted: what an approver weighs, at today's moving average
        "estimate": estimate,
        "batches_taken": batches,  # a line naming no batch: those posting took (FEFO)
        "returned": returned,  # a receipt's lines: what purchase returns sent back
        "progress": progress.value if progress else None,
        "wording": order_queries.WORDING.get(header.document_type, order_queries.RETURNED_WORDING),
        "source": source,
        "made": made,
        # an order's delivery or receipt, a delivery's or receipt's return
        "can_push_down": can_push_down,
        # what 下推 would make, scanned instead: offered where 下推 is
        "scanned_from": scanned_from(header.document_type) if can_push_down else None,
        "can_reverse": documents.may_reverse(app.uow(), user.username, number),
        # 修改 on the screen the document was scanned on
        "can_edit": made_by_scanning(header.document_type)
        and documents.may_edit(app.uow(), user.username, number),
    }


@router.post("/orders/{number}/push-down")
async def push_down(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """下推 in one click: the delivery (or return) is made and opened, ready to pick."""
    return await _made_from(
        request,
        app,
        user,
        number,
        lambda: orders.push_down(app.uow(), user.username, number, request_id),
    )


async def _made_from(
    request: Request,
    app: App,
    user: Principal,
    number: str,
    make: Callable[[], documents.DocumentResult],
) -> Response:
    """A document made from ``number`` (下推, 红冲), opened; a refusal on ``number``'s page."""
    await run_in_threadpool(documents.check_visible, app.uow(), user.username, number)
    try:
        made = await run_in_threadpool(make)
    except DomainError as error:
        shown = await run_in_threadpool(_document, app, user, number)
        errors = form_errors(error, locale_of(request))
        return page(request, "document.html", 422, user=user, errors=errors, **shown)
    return RedirectResponse(f"/documents/{made.number}", status_code=303)


@router.get("/documents/{number}")
async def document_page(request: Request, app: AppDep, user: UserDep, number: str) -> Response:
    shown = await run_in_threadpool(_document, app, user, number)
    return page(request, "document.html", user=user, errors=FormErrors(), **shown)


@router.post("/documents/{number}/reverse")
async def reverse(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    """红冲: the reversal is made, to go through its own workflow, and opened."""
    return await _made_from(
        request,
        app,
        user,
        number,
        lambda: documents.reverse(app.uow(), user.username, number, request_id),
    )


@router.post("/documents/{number}/{action}")
async def take_step(
    request: Request,
    app: AppDep,
    user: WriterDep,
    number: str,
    action: str,
    reason: Annotated[str | None, Form()] = None,
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    await run_in_threadpool(documents.check_visible, app.uow(), user.username, number)
    try:
        await run_in_threadpool(
            documents.act, app.uow(), user.username, number, action, reason or None, request_id
        )
    except DomainError as error:
        shown = await run_in_threadpool(_document, app, user, number)
        errors = form_errors(error, locale_of(request))
        return page(request, "document.html", 422, user=user, errors=errors, **shown)
    return RedirectResponse(f"/documents/{number}", status_code=303)


# entry by scan: receive, issue, transfer ------------------------------------------------------

ENTRIES = {
    "receive": DocumentType.RECEIPT,
    "issue": DocumentType.ISSUE,
    "transfer": DocumentType.TRANSFER,
    "sales-order": DocumentType.SALES_ORDER,
    "purchase-order": DocumentType.PURCHASE_ORDER,
    "putaway": DocumentType.PUTAWAY,
    # goods back by scan, each held against what its delivery or receipt may still take back
    "sales-return": DocumentType.SALES_RETURN,
    "purchase-return": DocumentType.PURCHASE_RETURN,
}
RETURNS = (DocumentType.SALES_RETURN, DocumentType.PURCHASE_RETURN)
# The source field of the screens made from another document: its label and number prefix.
SOURCE_FIELDS = {
    DocumentType.RECEIPT: ("label.purchase_order_received", "CGDD…"),
    DocumentType.SALES_RETURN: ("label.delivery_returned", "XSCK…"),
    DocumentType.PURCHASE_RETURN: ("label.receipt_returned", "RK…"),
}


def scanned_from(document_type: str) -> str | None:
    """The entry screen that makes documents from one of this type (a delivery's return)."""
    return next(
        (
            entry
            for entry, kind in ENTRIES.items()
            if kind.source_type is not None and kind.source_type.value == document_type
        ),
        None,
    )


def made_by_scanning(document_type: str) -> bool:
    """Whether documents of this type are made (and so edited) on a scan screen."""
    return any(kind.value == document_type for kind in ENTRIES.values())


class EntryHeader(BaseModel):
    """The fields of an entry page above its lines."""

    warehouse: str = ""
    to_warehouse: str = ""
    partner: str = ""
    note: str = ""
    location: str = ""  # a put-away's: where the goods are taken from
    to_location: str = ""  # and where they are put
    source: str = ""  # a receipt's purchase order: each scan is held against what is open


def entry_header(form: Any) -> EntryHeader:
    return EntryHeader(**{field: str(form.get(field, "")) for field in EntryHeader.model_fields})


def document_data(
    kind: DocumentType, header: EntryHeader, lines: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "document_type": kind.value,
        "warehouse": header.warehouse,
        "to_warehouse": header.to_warehouse if kind is DocumentType.TRANSFER else None,
        "partner": header.partner or None,
        "note": header.note or None,
        **({"source": header.source} if header.source and kind.source_type else {}),
        "lines": [
            {
                "item": line["item"],
                "quantity": line["quantity"],
                "unit": line["unit"],
                "batch": line.get("batch"),
                "expiry_date": line.get("expiry_date"),
                "serials": line.get("serials") or [],
                # what no scan sets, kept from a stored line being edited
                "production_date": line.get("production_date"),
                "source_line": line.get("source_line"),
                # A put-away's locations are the header's, unless a line being edited has
                # its own (lines that went to different places).
                "location": line.get("location")
                or (header.location if kind.moves_within else None)
                or None,
                "to_location": line.get("to_location")
                or (header.to_location if kind.moves_within else None)
                or None,
                **(
                    {
                        "unit_price": _as_typed(line.get("unit_price")),
                        "tax_rate": _as_typed(line.get("tax_rate")),
                        "discount_rate": _as_typed(line.get("discount_rate")),
                    }
                    if kind.is_order
                    else {"unit_cost": _as_typed(line.get("unit_cost"))}
                ),
            }
            for line in lines
        ],
    }


def check_line(
    app: App,
    user: Principal,
    kind: DocumentType,
    form: Any,
    lines: list[dict[str, Any]],
    number: int,
    editing: str | None = None,
) -> None:
    """Refuse a scan as posting would refuse its line (or the header): at once, not later.

    ``form``: the screen's fields as sent with the scan; ``lines``: with the scan added;
    ``editing``: the document the screen edits.

    Raises:
        DomainError: the first problem of line ``number`` or of the header.
    """
    data = document_data(kind, entry_header(form), lines)
    if kind.is_order:  # prices are typed after the scans
        data = {**data, "lines": [{**line, "unit_price": "0"} for line in data["lines"]]}
    try:
        documents.check(app.uow(), user.username, data, editing)
    except DomainError as error:
        if not error.items:
            raise
        line = f"/lines/{number}"
        for item in error.items:
            on_line = item.pointer == line or item.pointer.startswith(line + "/")
            if on_line or not item.pointer.startswith("/lines/"):
                raise Invalid(item.code, dict(item.params)) from None


def check_unless_answered(
    app: App,
    user: Principal,
    data: dict[str, Any],
    request_id: str | None,
    editing: str | None = None,
) -> None:
    """Check a whole screen as each scan was (a quantity typed over a line too).

    Not a resend of a form already done: that is answered as the first was.

    Raises:
        DomainError: as ``documents.check``.
    """
    if not documents.answered(app.uow(), user.username, request_id):
        documents.check(app.uow(), user.username, data, editing)


def entry_context(
    user: Principal, app: App, kind: DocumentType, header: EntryHeader
) -> dict[str, Any]:
    # A return's partner is its delivery's or receipt's: nothing to choose, nothing to get
    # wrong when another source number is typed.
    chosen = () if kind in RETURNS else PARTNERS_OF.get(kind, ())
    with app.reader() as connection:
        every = [w.code for w in catalog_queries.warehouses(connection)]
        partners = [
            partner
            for partner_kind in chosen
            for partner in partner_queries.partners(connection, partner_kind.value)
        ]
        if (
            chosen
            and header.partner
            and header.partner not in {partner.code for partner in partners}
        ):
            # one since deactivated, or past the list's length: still shown, still sent
            partners.append(partner_queries.partner(connection, header.partner))
    # Goods move in a warehouse where the user may make such a document; a transfer may
    # go to any other.
    warehouses = [code for code in every if user.may(Action.DOCUMENT_CREATE, kind.value, code)]
    warehouse = header.warehouse or (warehouses or [""])[0]
    others = [code for code in every if code != warehouse]
    return {
        "kind": kind.value,
        "entry": next(name for name, entry_kind in ENTRIES.items() if entry_kind is kind),
        "warehouses": warehouses,
        "destinations": others,
        "warehouse": warehouse,
        "to_warehouse": header.to_warehouse or (others or [""])[0],
        "partners": partners,
        "partner": header.partner,
        "note": header.note,
        "location": header.location,
        "to_location": header.to_location,
        "source": header.source,
        "source_field": SOURCE_FIELDS.get(kind),
        # A batch typed beside a code that carries none: goods received (with the expiry
        # date of a new batch) or returned from a line that moved several batches.
        "batch_field": kind in RETURNS or kind is DocumentType.RECEIPT,
        "expiry_field": kind is DocumentType.RECEIPT,
        # a new unit's serial, for an item whose label carries none: received
        "serial_field": kind is DocumentType.RECEIPT,
    }


def _ordered_header(app: App, user: Principal, source: str) -> EntryHeader:
    """A header from the document it is made from: its warehouse and partner.

    A receipt's from its purchase order, a return's from its delivery or receipt.
    """
    with app.reader() as connection:  # a number as printed, whatever was typed
        order = document_queries.document(connection, source.strip().upper())[0]
    if not user.sees(order.warehouse, order.to_warehouse):
        raise NotFound("document.unknown", {"number": source})
    return EntryHeader(warehouse=order.warehouse, partner=order.partner or "", source=order.number)


def _entry_routes(entry: str, kind: DocumentType) -> None:
    async def entry_page(
        request: Request, app: AppDep, user: UserDep, warehouse: str = "", source: str = ""
    ) -> Response:
        if not user.may_somewhere(Action.DOCUMENT_CREATE, kind.value):
            # refused as the screen opens, not at the first scan (an auditor reads only)
            raise Forbidden("auth.forbidden", {"user": user.username, "action": "document.create"})
        header = EntryHeader(warehouse=warehouse)
        if source and kind.source_type:
            header = await run_in_threadpool(_ordered_header, app, user, source)
        context = await run_in_threadpool(entry_context, user, app, kind, header)
        return scan_page(request, "entry.html", user, context, [], [])

    async def scan(
        request: Request,
        app: AppDep,
        user: WriterDep,
        code: Annotated[str, Form()] = "",
        scan_id: Annotated[str, Form()] = "",
        state: Annotated[str, Form()] = "",
    ) -> Response:
        """One scan: the lines re-drawn, or the refusal next to the scan field (422)."""

        def check(form: Any, lines: list[dict[str, Any]], number: int) -> None:
            check_line(app, user, kind, form, lines, number)

        return await take_scan(request, app, user, kind, code, scan_id, state, check)

    async def submit(
        request: Request,
        app: AppDep,
        user: WriterDep,
        state: Annotated[str, Form()] = "",
        request_id: Annotated[str | None, Form()] = None,
    ) -> Response:
        """Make the document of what was scanned and submit it (提交) for approval."""
        form = await request.form()
        lines, scans = lines_from(state, form)
        header = entry_header(form)
        data = document_data(kind, header, lines)
        try:
            await run_in_threadpool(check_unless_answered, app, user, data, request_id)
            step = await run_in_threadpool(workflows.entry_step, app.uow(), kind.value)
            created = await run_in_threadpool(
                documents.create, app.uow(), user.username, data, request_id, then=step
            )
        except DomainError as error:
            context = await run_in_threadpool(entry_context, user, app, kind, header)
            errors = form_errors(error, locale_of(request))
            return scan_page(request, "entry.html", user, context, lines, scans, 422, errors)
        return RedirectResponse(f"/documents/{created.number}", status_code=303)

    router.add_api_route(f"/{entry}", entry_page, methods=["GET"])
    router.add_api_route(f"/{entry}/scan", scan, methods=["POST"])
    router.add_api_route(f"/{entry}", submit, methods=["POST"])


for _entry, _kind in ENTRIES.items():
    _entry_routes(_entry, _kind)


def _as_typed(value: Any) -> Any:
    """A number as the user typed it, for the service to read or refuse next to its field."""
    return value if value is None or isinstance(value, str) else str(value)


# stock ---------------------------------------------------------------------------------------


@router.get("/stock")
async def stock_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    warehouse: str | None = None,
    item: str | None = None,
    format: ExportFormat | None = None,
) -> Response:
    def read() -> list[Any]:
        with app.reader() as connection:
            return stock_levels.stock_rows(
                connection, warehouse or None, item or None, visible=user.visible_warehouses
            )

    try:
        rows, errors = await run_in_threadpool(read), FormErrors()
    except DomainError as error:
        rows, errors = [], form_errors(error, locale_of(request))
    if format and not errors:
        return download(request, exports.STOCK, rows, format, "stock")
    return page(
        request,
        "stock.html",
        user=user,
        rows=rows,
        today=app.today(),
        warehouse=warehouse or "",
        item=item or "",
        errors=errors,
    )
