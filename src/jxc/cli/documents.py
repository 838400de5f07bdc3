"""`jxc doc …`: create documents from arguments or a file, post, receive, reverse, show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from jxc.cli.output import (
    Limit,
    RequestId,
    State,
    file_bytes,
    file_text,
    money,
    number,
    out,
    state,
    state_change,
    table,
)
from jxc.domain.documents import DocumentKind
from jxc.domain.errors import DomainError, Invalid
from jxc.domain.periods import shown_time
from jxc.i18n.messages import event_details_text
from jxc.queries import audit
from jxc.queries import documents as document_queries
from jxc.queries import orders as order_queries
from jxc.services import deliveries, documents, imports, order_import, orders, workflows

docs = typer.Typer(
    help="Documents (单据): receipt 入库, issue 出库, transfer 调拨, reverse 红冲.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(docs, name="doc")


def _line(spec: str, st: State) -> dict[str, Any]:
    """ITEM:QUANTITY[@COST][:UNIT[:BATCH[:PRODUCED]]] — a line in short form."""
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 5 or not parts[0] or not parts[1]:
        raise typer.BadParameter(st.t("cli.line_format", spec=spec), param_hint="--line")
    quantity, _, cost = parts[1].partition("@")
    line: dict[str, Any] = {"item": parts[0], "quantity": quantity}
    if cost:
        line["unit_cost"] = cost
    if len(parts) > 2 and parts[2]:
        line["unit"] = parts[2]
    if len(parts) > 3 and parts[3]:
        line["batch"] = parts[3]
    if len(parts) > 4 and parts[4]:
        line["production_date"] = parts[4]
    return line


def _report(
    ctx: typer.Context, result: documents.DocumentResult, message: str = "label.created"
) -> None:
    st = state(ctx)
    out.print(
        st.t(
            message,
            number=result.number,
            state=st.label("state.", result.state),
            lines=result.lines,
            entries=result.entries,
        )
    )


Warehouse = Annotated[str | None, typer.Option(help="Warehouse (仓库).")]
ToWarehouse = Annotated[str | None, typer.Option(help="Destination of a transfer.")]
Counterpart = Annotated[
    str | None, typer.Option(help="SUPPLIER, CUSTOMER, INVENTORY-LOSS, SCRAP or PRODUCTION.")
]
Partner = Annotated[
    str | None,
    typer.Option(help="The supplier a receipt is from, the customer or channel of an issue."),
]
BusinessDate = Annotated[str | None, typer.Option("--date", help="YYYY-MM-DD (业务日期).")]
Note = Annotated[str | None, typer.Option(help="Note (备注).")]
Lines = Annotated[
    list[str],
    typer.Option(
        help=(
            "ITEM:QUANTITY[@UNIT_COST][:UNIT[:BATCH[:PRODUCED]]], repeatable; on a sales order "
            "@ gives the unit price; serials need --file."
        )
    ),
]
LinesFile = Annotated[Path | None, typer.Option(help="CSV or JSON file of lines.")]


def _document(
    st: State, file: Path | None, line: list[str], **given: str | None
) -> tuple[dict[str, Any], imports.DocumentFile | None]:
    """The header and lines the options and the file give (no lines: none given).

    Also the file they came from, if they did: its rows name the lines in errors.

    Raises:
        Invalid: document.file_disagrees (an option says otherwise than the file's header),
            document.lines_twice (lines given both ways: one set would be dropped).
    """
    if file and line:
        raise Invalid("document.lines_twice", {"file": file.name})
    read = imports.read_document(file) if file else None
    header, lines = (read.header, read.lines) if read else ({}, [_line(spec, st) for spec in line])
    for key, value in given.items():
        if value is None:
            continue
        if key in header and str(header[key]) != value:
            assert file is not None
            raise Invalid(
                "document.file_disagrees",
                {"field": key, "in_file": header[key], "given": value, "file": file.name},
            )
        header[key] = value
    return ({**header, "lines": lines} if lines else header), read


@contextmanager
def _rows_of(read: imports.DocumentFile | None) -> Iterator[None]:
    """Errors about lines that came from a file name the file's rows."""
    try:
        yield
    except DomainError as error:
        raise (read.told_by_row(error) if read else error) from None


@docs.command(
    "create",
    help=(
        "Create a document: jxc doc create receipt --warehouse SH01 --line LS-001:100 --post; "
        "or lines from a CSV/JSON file with --file."
    ),
)
def create(
    ctx: typer.Context,
    document_type: Annotated[
        str,
        typer.Argument(
            help="receipt, issue, transfer, putaway, sales_order, purchase_order, sales_return, "
            "purchase_return."
        ),
    ],
    warehouse: Warehouse = None,
    to_warehouse: ToWarehouse = None,
    counterpart: Counterpart = None,
    partner: Partner = None,
    business_date: BusinessDate = None,
    note: Note = None,
    line: Lines = [],  # noqa: B006
    file: LinesFile = None,
    post: Annotated[bool, typer.Option(help="Post at once (过账).")] = False,
    tax_rate: Annotated[
        str | None, typer.Option(help="An order: tax rate in percent for every line (税率).")
    ] = None,
    excluding_tax: Annotated[
        bool, typer.Option(help="An order: the prices given exclude tax (不含税价).")
    ] = False,
    then: Annotated[str | None, typer.Option(help="Take this first step at once.")] = None,
    source: Annotated[
        str | None,
        typer.Option(help="源单: the order, delivery or receipt it is made from (or returns)."),
    ] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    data, read = _document(
        st,
        file,
        line,
        source=source,
        warehouse=warehouse,
        to_warehouse=to_warehouse,
        counterpart=counterpart,
        partner=partner,
        business_date=business_date,
        note=note,
        document_type=document_type,
    )
    data = {"lines": [], **data}
    if document_type in ("sales_order", "purchase_order"):
        data["lines"] = [_priced(line, tax_rate) for line in data["lines"]]
        if excluding_tax:
            data["prices_include_tax"] = False
    with _rows_of(read):
        result = documents.create(
            st.app.uow(), st.actor, data, request_id=request_id, post=post, then=then
        )
    _report(ctx, result)


def _priced(line: dict[str, Any], tax_rate: str | None) -> dict[str, Any]:
    """An order line in short form: its @ is the unit price, the command's tax rate applies."""
    priced = {key: value for key, value in line.items() if key != "unit_cost"}
    if "unit_cost" in line:
        priced["unit_price"] = line["unit_cost"]
    if tax_rate is not None:
        priced.setdefault("tax_rate", tax_rate)
    return priced


@docs.command(
    "push-down",
    help="下推: a delivery (or receipt) of all still open on a sales (purchase) order.",
)
def push_down(
    ctx: typer.Context,
    order_number: str,
    then: Annotated[str | None, typer.Option(help="Take the delivery's first step.")] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    _report(ctx, orders.push_down(st.app.uow(), st.actor, order_number, request_id, then))


@docs.command(
    "edit",
    help=(
        "Change a draft or a rejected document: the options given replace its fields; "
        "--line or --file replaces every line."
    ),
)
def edit(
    ctx: typer.Context,
    document_number: str,
    warehouse: Warehouse = None,
    to_warehouse: ToWarehouse = None,
    counterpart: Counterpart = None,
    partner: Partner = None,
    business_date: BusinessDate = None,
    note: Note = None,
    line: Lines = [],  # noqa: B006
    file: LinesFile = None,
    tax_rate: Annotated[
        str | None, typer.Option(help="An order: tax rate in percent for every line (税率).")
    ] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    changes, read = _document(
        st,
        file,
        line,
        warehouse=warehouse,
        to_warehouse=to_warehouse,
        counterpart=counterpart,
        partner=partner,
        business_date=business_date,
        note=note,
    )
    if changes.get("lines") or tax_rate is not None:
        # an order's lines read as its create's do: @ is the unit price, --tax-rate applies
        with st.app.reader() as connection:
            kind = document_queries.document(connection, document_number)[0].document_type
        if kind in ("sales_order", "purchase_order") and changes.get("lines"):
            changes["lines"] = [_priced(given, tax_rate) for given in changes["lines"]]
        elif tax_rate is not None:
            raise Invalid("document.tax_rate_without_order_lines", {})
    with _rows_of(read):
        result = documents.edit(st.app.uow(), st.actor, document_number, changes, request_id)
    _report(ctx, result, "label.edited")


# The steps of the shipped workflows; ``jxc doc act`` takes any step a definition names.
STEPS = {
    "submit": "提交: send a draft for approval.",
    "approve": "审核: approve (a second approver above a workflow's threshold).",
    "unapprove": "反审核: take an approval back before execution (reason required).",
    "reject": "驳回: send back to whoever made it (reason required).",
    "void": "作废: void a draft or a rejected document.",
    "execute": "执行: post to the ledger (a transfer: ship into transit).",
    "receive": "调入: receive a shipped transfer at its destination.",
    "verify": "核对: a second person confirms what was posted.",
    "archive": "归档: file a verified document.",
    "post": "过账: the one step of the simple workflow (a transfer: ship it).",
    "ship": "发运: a sales delivery goes out (posts against its order's reservation).",
    "close": "关闭: close a sales order, giving up what is still open (reason required).",
}


def _step_command(action: str) -> Any:
    def step(
        ctx: typer.Context,
        document_number: str,
        reason: Annotated[str | None, typer.Option(help="Why (驳回/反审核 need one).")] = None,
        request_id: RequestId = None,
    ) -> None:
        _take(ctx, document_number, action, reason, request_id)

    return step


def _take(
    ctx: typer.Context,
    document_number: str,
    action: str,
    reason: str | None,
    request_id: str | None,
) -> None:
    st = state(ctx)
    result = documents.act(st.app.uow(), st.actor, document_number, action, reason, request_id)
    _report(ctx, result, "label.stepped")


for _action, _help in STEPS.items():
    docs.command(_action, help=_help)(_step_command(_action))


Scans = Annotated[
    list[str],
    typer.Option(
        "--scan",
        help="ITEM:QUANTITY[:BATCH[:SERIAL,…]] as scanned, repeatable (base units).",
    ),
]


def scanned_lines(specs: list[str], st: State) -> list[dict[str, Any]]:
    """``--scan ITEM:QUANTITY[:BATCH[:SERIAL,…]]`` options as scanned lines.

    A serial item's batch is left empty: ``DJ-002:2::SN1,SN2``.
    """
    scans = []
    for spec in specs:
        parts = spec.split(":")
        if not 2 <= len(parts) <= 4 or not parts[0] or not parts[1]:
            raise typer.BadParameter(st.t("cli.scan_format", spec=spec), param_hint="--scan")
        item, quantity, batch, serials = (*parts, "", "")[:4]
        scanned: dict[str, Any] = {"item": item, "quantity": quantity, "batch": batch or None}
        if serials:
            scanned["serials"] = [serial for serial in serials.split(",") if serial]
        scans.append(scanned)
    return scans


@docs.command("pick", help="拣货: what was picked for a sales delivery (its lines become it).")
def pick(
    ctx: typer.Context, document_number: str, scan: Scans, request_id: RequestId = None
) -> None:
    st = state(ctx)
    result = deliveries.pick(
        st.app.uow(), st.actor, document_number, {"scans": scanned_lines(scan, st)}, request_id
    )
    _report(ctx, result, "label.stepped")


@docs.command("check", help="复核: a second person's scan of a picked delivery, compared.")
def check(
    ctx: typer.Context, document_number: str, scan: Scans, request_id: RequestId = None
) -> None:
    st = state(ctx)
    result = deliveries.check(
        st.app.uow(), st.actor, document_number, {"scans": scanned_lines(scan, st)}, request_id
    )
    _report(ctx, result, "label.stepped")


@docs.command(
    "import-orders",
    help="Import a shop's orders file (CSV/XLSX) as sales orders, by a YAML/JSON mapping.",
)
def import_orders(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="The shop's export: .csv or .xlsx.")],
    mapping: Annotated[Path, typer.Option(help="Columns, SKUs, channel, warehouse (YAML).")],
) -> None:
    st = state(ctx)
    content = file_bytes(file)
    terms = order_import.read_mapping(file_text(mapping), mapping.name)
    result = order_import.import_orders(st.app.uow(), st.actor, file.name, content, terms)
    table(
        st,
        ["label.shop_order", "label.document"],
        result.orders,
        title=st.t("label.orders_imported", orders=len(result.orders), lines=result.lines),
    )


@docs.command("act", help="Take any step a workflow defines: jxc doc act NUMBER ACTION.")
def act(
    ctx: typer.Context,
    document_number: str,
    action: str,
    reason: Annotated[str | None, typer.Option(help="Why, where the step asks for it.")] = None,
    request_id: RequestId = None,
) -> None:
    _take(ctx, document_number, action, reason, request_id)


@docs.command(
    "reverse",
    help="Reverse a posted document (红冲): makes a reversal that runs its own workflow.",
)
def reverse(
    ctx: typer.Context,
    document_number: str,
    note: Annotated[str | None, typer.Option()] = None,
    post: Annotated[bool, typer.Option(help="Post it at once (one-step workflow).")] = False,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    _report(
        ctx,
        documents.reverse(st.app.uow(), st.actor, document_number, request_id, note, post),
    )


@docs.command("list", help="List recent documents.")
def list_documents(
    ctx: typer.Context,
    document_type: Annotated[
        str | None, typer.Option("--type", help="The workflow's type: receipt, issue, transfer …")
    ] = None,
    document_state: Annotated[
        str | None, typer.Option("--state", help="A state, by name or label: approved, 已审核.")
    ] = None,
    warehouse: Annotated[str | None, typer.Option(help="Warehouse code.")] = None,
    limit: Limit = 30,
    kind: Annotated[
        DocumentKind | None,
        typer.Option(help="purchase_receipt (采购入库单), receipt (其他入库单)"),
    ] = None,
) -> None:
    st = state(ctx)
    if document_state is not None:
        document_state = workflows.state_named(st.app.uow(), document_state)
    with st.app.reader() as connection:
        rows = document_queries.documents(
            connection, document_type, document_state, warehouse, limit + 1, kind=kind
        )
    table(
        st,
        [
            "label.document",
            "label.type",
            "label.state",
            "label.date",
            "label.warehouse",
            "label.to_warehouse",
            "label.partner",
            "label.line_count",
            "label.user",
        ],
        [
            (
                r.number,
                st.t(f"document_type.{r.kind}"),
                st.label("state.", r.state),
                r.business_date,
                r.warehouse,
                r.to_warehouse,
                r.partner_name or r.partner,
                r.lines,
                st.label("actor.", r.created_by),
            )
            for r in rows
        ],
        limit=limit,
        whole=False,
    )


@docs.command("show", help="Show a document with its lines.")
def show(ctx: typer.Context, document_number: str) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        header, lines = document_queries.document(connection, document_number)
        history = audit.log(connection, document=document_number, limit=100_000)
        priced = order_queries.priced_lines(connection, document_number)
        source = order_queries.source_of(connection, document_number)
        made = order_queries.made_from(connection, document_number)
        taken = document_queries.batches_taken(connection, document_number)
    reference = header.reverses or header.reversed_by or ""
    out.print(
        Text.assemble(
            (header.number, "bold"),
            f"  {st.t(f'document_type.{header.kind}')}  "
            f"{st.label('state.', header.state)}  {header.business_date}  {header.warehouse}"
            f"{' → ' + header.to_warehouse if header.to_warehouse else ''}  {reference}",
        )
    )
    if header.partner:
        partner = f"{header.partner} {header.partner_name or ''}".rstrip()
        out.print(st.t("label.document_partner", partner=partner))
    if source:
        out.print(st.t("label.document_source", number=source))
    if header.note:
        out.print(st.t("label.document_note", note=header.note))
    table(
        st,
        [
            "label.line_no",
            "label.item",
            "label.name",
            "label.quantity",
            "label.unit",
            "label.location",
            "label.batch",
            "label.serial",
        ],
        [
            (
                line.line_no,
                line.item,
                line.item_name,
                number(line.quantity),
                line.unit,
                line.location,
                line.batch or taken.get(line.line_no),
                " ".join(line.serials),
            )
            for line in lines
        ],
    )
    if priced:
        _show_prices(st, header.document_type, priced, made)
    table(
        st,
        ["label.time", "label.user", "label.action", "label.state", "label.details"],
        [
            (
                shown_time(event.occurred_at, st.app.zone),
                st.label("actor.", event.actor),
                st.t(event.action),
                state_change(st, event.from_state, event.to_state),
                event_details_text(event.payload, st.locale),
            )
            for event in history
        ],
        title=st.t("label.history"),
    )


def _show_prices(
    st: State,
    kind: str,
    priced: list[order_queries.PricedLineRow],
    made: list[order_queries.MadeFrom],
) -> None:
    """An order's or a delivery's money, its progress or 毛利, and what it is linked to."""
    progress = order_queries.progress(kind, priced)
    wording = order_queries.WORDING.get(kind, order_queries.RETURNED_WORDING)
    if progress is not None:
        out.print(f"{st.t('label.progress')}: {st.t(wording[progress.value])}")
    ordering = progress is not None
    table(
        st,
        [
            "label.line_no",
            "label.item",
            "label.quantity",
            "label.unit_price",
            "label.tax_rate",
            "label.discount_rate",
            "label.amount",
            "label.tax_amount",
            "label.amount_incl_tax",
            *(
                [wording["delivered"], wording["still_open"]]
                if ordering
                else [
                    "label.returned",
                    "label.cost_of_goods",
                    "label.gross_profit",
                    "label.gross_margin",
                ]
            ),
        ],
        [
            (
                line.line_no,
                line.item,
                f"{number(line.quantity)} {line.unit}",
                number(line.unit_price),
                number(line.tax_rate),
                number(line.discount_rate),
                money(line.amount),
                money(line.tax),
                money(line.amount_incl_tax),
                *(
                    (
                        f"{number(line.delivered)} {line.base_unit}",
                        f"{number(line.open)} {line.base_unit}",
                    )
                    if ordering
                    else (
                        number(line.returned),
                        "" if line.cost is None else money(line.cost),
                        "" if line.gross_profit is None else money(line.gross_profit),
                        number(line.gross_margin),
                    )
                ),
            )
            for line in priced
        ],
    )
    if made:
        table(
            st,
            ["label.document", "label.type", "label.state", "label.date"],
            [
                (
                    row.number,
                    st.t(f"document_type.{row.kind}"),
                    st.label("state.", row.state),
                    str(row.business_date),
                )
                for row in made
            ],
            title=st.t(wording["made"]),
        )
