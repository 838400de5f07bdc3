"""Documents (单据): list, create, read, edit, every workflow step, reverse (红冲).

A user sees and acts only on documents from or to the warehouses they hold a role in; any
other number answers as unknown.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, status

from jxc import exports
from jxc.api.deps import (
    EXPORT_RESPONSES,
    Acting,
    ActingDep,
    AppDep,
    Export,
    IdempotencyKey,
    Limit,
    LocaleDep,
    Offset,
    ReaderDep,
    exported,
)
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import (
    DocumentOut,
    DocumentResultOut,
    EventOut,
    LineOut,
    MadeFromOut,
    Page,
    PricedLineOut,
    ReverseIn,
    StepIn,
)
from jxc.domain.documents import DocumentKind
from jxc.domain.errors import NotFound
from jxc.exports import XLSX_MAX_ROWS
from jxc.i18n.messages import translate
from jxc.queries import audit
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.queries.documents import DocumentRow
from jxc.services import documents, orders, workflows

router = APIRouter(route_class=ExactJsonRoute, prefix="/documents", tags=["documents"])

Number = Annotated[str, Path(min_length=1, max_length=40, description="e.g. RK202611250001")]
_HISTORY = 1000


def _json_body(model: type[Any]) -> dict[str, Any]:
    """The OpenAPI request body of a route that hands the raw JSON to its service.

    The service checks the body itself, so every problem (with unknown codes) is named at once.
    """
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }


@router.get(
    "",
    operation_id="documents-list",
    summary="Documents, newest first",
    response_model=Page[DocumentRow],
    responses=EXPORT_RESPONSES,
)
def list_documents(
    app: AppDep,
    reader: ReaderDep,
    locale: LocaleDep,
    limit: Limit = 50,
    offset: Offset = 0,
    document_type: Annotated[
        str | None, Query(max_length=20, description="The stored type (its workflow's).")
    ] = None,
    state: Annotated[str | None, Query(max_length=40)] = None,
    warehouse: Annotated[str | None, Query(max_length=64)] = None,
    partner: Annotated[str | None, Query(max_length=32)] = None,
    kind: Annotated[
        DocumentKind | None,
        Query(
            description="What users call it: purchase_receipt (采购入库单), receipt (其他入库单) …"
        ),
    ] = None,
    export_format: Export = None,
) -> Any:
    everything = export_format is not None
    if state is not None:
        state = workflows.state_named(app.uow(), state)
    with app.reader() as connection:
        rows = document_queries.documents(
            connection,
            document_type,
            state,
            warehouse,
            XLSX_MAX_ROWS if everything else limit + 1,
            0 if everything else offset,
            reader.visible_warehouses,
            partner,
            kind,
        )
    if export_format is not None:
        return exported(locale, exports.DOCUMENTS, rows, export_format, "documents")
    return Page[DocumentRow].of(rows, limit, offset)


@router.post(
    "",
    operation_id="documents-create",
    status_code=status.HTTP_201_CREATED,
    summary="Create a draft (or post it at once where the workflow has one step)",
    openapi_extra=_json_body(documents.DocumentIn),
)
async def create_document(
    app: AppDep,
    acting: ActingDep,
    data: Annotated[dict[str, Any], Body()],
    key: IdempotencyKey = None,
    post: Annotated[bool, Query(description="Take the one-step post at once.")] = False,
    then: Annotated[
        str | None,
        Query(max_length=40, description="Take this first step at once (approve, submit …)."),
    ] = None,
) -> DocumentResultOut:
    result = await acting(
        lambda actor: documents.create(app.uow(), actor, data, key, post=post, then=then),
        bounded_by_body=True,
    )
    return DocumentResultOut.of(result)


@router.get("/{number}", operation_id="documents-read", summary="A document: lines and history")
def read_document(app: AppDep, reader: ReaderDep, locale: LocaleDep, number: Number) -> DocumentOut:
    with app.reader() as connection:
        header, lines = document_queries.document(connection, number)
        if not reader.sees(header.warehouse, header.to_warehouse):
            raise NotFound("document.unknown", {"number": number})
        history = audit.log(connection, document=number, limit=_HISTORY)
        priced = order_queries.priced_lines(connection, number)
        source = order_queries.source_of(connection, number)
        made = order_queries.made_from(connection, number)
    progress = order_queries.progress(header.document_type, priced)
    steps = documents.next_steps(app.uow(), reader.username, number)
    return DocumentOut(
        document=header,
        lines=[LineOut.model_validate(line) for line in lines],
        history=[EventOut.of(event) for event in history],
        actions=steps.open,
        withheld_actions={
            step: translate(why.code, locale, **why.params) for step, why in steps.withheld.items()
        },
        prices=[PricedLineOut.model_validate(line) for line in priced],
        progress=progress.value if progress else None,
        source=source,
        made_from=[MadeFromOut.model_validate(row) for row in made],
    )


@router.post(
    "/{number}/push-down",
    operation_id="documents-push-down",
    status_code=status.HTTP_201_CREATED,
    summary="下推: a delivery (a receipt) of all still open on a sales (purchase) order",
)
async def push_down(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    key: IdempotencyKey = None,
    then: Annotated[
        str | None,
        Query(
            max_length=40,
            description="Take the new document's first step at once (ship, post …).",
        ),
    ] = None,
) -> DocumentResultOut:
    def push(actor: str) -> documents.DocumentResult:
        documents.check_visible(app.uow(), actor, number)
        return orders.push_down(app.uow(), actor, number, key, then)

    return DocumentResultOut.of(await acting(push))


@router.patch(
    "/{number}",
    operation_id="documents-edit",
    summary="Change a draft or a rejected document (lines given replace them all)",
    openapi_extra=_json_body(documents.DocumentEdit),
)
async def edit_document(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    changes: Annotated[dict[str, Any], Body()],
    key: IdempotencyKey = None,
) -> DocumentResultOut:
    def edit(actor: str) -> documents.DocumentResult:
        documents.check_visible(app.uow(), actor, number)
        return documents.edit(app.uow(), actor, number, changes, key)

    return DocumentResultOut.of(await acting(edit))


@router.post(
    "/{number}/reverse",
    operation_id="documents-reverse",
    status_code=status.HTTP_201_CREATED,
    summary="红冲: make the reversal of an executed document (it runs its own workflow)",
)
async def reverse_document(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    key: IdempotencyKey = None,
    body: ReverseIn | None = None,
) -> DocumentResultOut:
    given = body or ReverseIn()

    def reverse(actor: str) -> documents.DocumentResult:
        documents.check_visible(app.uow(), actor, number)
        return documents.reverse(app.uow(), actor, number, key, given.note, given.post)

    return DocumentResultOut.of(await acting(reverse))


def _step_route(action: str) -> None:
    async def step(
        app: AppDep,
        acting: ActingDep,
        number: Number,
        key: IdempotencyKey = None,
        body: StepIn | None = None,
    ) -> DocumentResultOut:
        return await _act(app, acting, number, action, body, key)

    router.post(
        f"/{{number}}/{action}",
        operation_id=f"documents-{action}",
        summary=f"The workflow step {action}",
        name=f"documents-{action}",
    )(step)


for _action in workflows.shipped_actions():
    _step_route(_action)


@router.post(
    "/{number}/steps/{action}",
    operation_id="documents-step",
    summary="Any step the document's workflow defines (for custom workflows)",
)
async def take_step(
    app: AppDep,
    acting: ActingDep,
    number: Number,
    action: Annotated[str, Path(min_length=1, max_length=40)],
    key: IdempotencyKey = None,
    body: StepIn | None = None,
) -> DocumentResultOut:
    return await _act(app, acting, number, action, body, key)


async def _act(
    app: AppDep, acting: Acting, number: str, action: str, body: StepIn | None, key: str | None
) -> DocumentResultOut:
    reason = body.reason if body else None

    def act(actor: str) -> documents.DocumentResult:
        documents.check_visible(app.uow(), actor, number)
        return documents.act(app.uow(), actor, number, action, reason, key)

    return DocumentResultOut.of(await acting(act))
