"""`jxc doc …`: create documents from arguments or a file, post, receive, reverse, show."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from jxc.cli.output import number, out, state, table
from jxc.queries import documents as document_queries
from jxc.services import documents, imports

docs = typer.Typer(
    help="Documents (单据): receipt 入库, issue 出库, transfer 调拨, reverse 红冲.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(docs, name="doc")


def _line(spec: str) -> dict[str, Any]:
    """ITEM:QUANTITY[:UNIT[:BATCH[:PRODUCED]]] — a line in short form on the command line."""
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 5 or not parts[0] or not parts[1]:
        raise typer.BadParameter(
            f"{spec}: expected ITEM:QUANTITY[:UNIT[:BATCH[:PRODUCED]]]", param_hint="--line"
        )
    line: dict[str, Any] = {"item": parts[0], "quantity": parts[1]}
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
            state=st.t(f"state.{result.state}"),
            lines=result.lines,
            entries=result.entries,
        )
    )


@docs.command(
    "create",
    help=(
        "Create a document: jxc doc create receipt --warehouse SH01 --line LS-001:100 --post; "
        "or lines from a CSV/JSON file with --file."
    ),
)
def create(
    ctx: typer.Context,
    document_type: Annotated[str, typer.Argument(help="receipt, issue or transfer.")],
    warehouse: Annotated[str | None, typer.Option(help="Warehouse (仓库).")] = None,
    to_warehouse: Annotated[str | None, typer.Option(help="Destination of a transfer.")] = None,
    counterpart: Annotated[
        str | None, typer.Option(help="SUPPLIER, CUSTOMER, INVENTORY-LOSS, SCRAP or PRODUCTION.")
    ] = None,
    business_date: Annotated[
        str | None, typer.Option("--date", help="YYYY-MM-DD (业务日期).")
    ] = None,
    note: Annotated[str | None, typer.Option(help="Note (备注).")] = None,
    line: Annotated[
        list[str],
        typer.Option(
            help="ITEM:QUANTITY[:UNIT[:BATCH[:PRODUCED]]], repeatable; serials need --file."
        ),
    ] = [],  # noqa: B006
    file: Annotated[Path | None, typer.Option(help="CSV or JSON file of lines.")] = None,
    post: Annotated[bool, typer.Option(help="Post at once (过账).")] = False,
    request_id: Annotated[str | None, typer.Option(help="Makes a retry harmless.")] = None,
) -> None:
    st = state(ctx)
    header, lines = imports.read_document(file) if file else ({}, [_line(spec) for spec in line])
    given = {
        "warehouse": warehouse,
        "to_warehouse": to_warehouse,
        "counterpart": counterpart,
        "business_date": business_date,
        "note": note,
    }
    header.update({key: value for key, value in given.items() if value is not None})
    data = {**header, "document_type": document_type, "lines": lines}
    result = documents.create(st.app.uow(), st.actor, data, request_id=request_id, post=post)
    _report(ctx, result)


@docs.command("post", help="Post a draft to the ledger (过账); a transfer is shipped into transit.")
def post(
    ctx: typer.Context,
    document_number: str,
    request_id: Annotated[str | None, typer.Option()] = None,
) -> None:
    st = state(ctx)
    _report(
        ctx,
        documents.post(st.app.uow(), st.actor, document_number, request_id),
        "label.stepped",
    )


@docs.command("receive", help="Receive a shipped transfer into its destination (调拨入库).")
def receive(
    ctx: typer.Context,
    document_number: str,
    request_id: Annotated[str | None, typer.Option()] = None,
) -> None:
    st = state(ctx)
    _report(
        ctx,
        documents.receive(st.app.uow(), st.actor, document_number, request_id),
        "label.stepped",
    )


@docs.command("reverse", help="Reverse a posted document with a red-letter document (红冲).")
def reverse(
    ctx: typer.Context,
    document_number: str,
    note: Annotated[str | None, typer.Option()] = None,
    request_id: Annotated[str | None, typer.Option()] = None,
) -> None:
    st = state(ctx)
    _report(ctx, documents.reverse(st.app.uow(), st.actor, document_number, request_id, note))


@docs.command("list", help="List recent documents.")
def list_documents(
    ctx: typer.Context,
    document_type: Annotated[str | None, typer.Option("--type")] = None,
    document_state: Annotated[str | None, typer.Option("--state")] = None,
    warehouse: str | None = None,
    limit: int = 30,
) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = document_queries.documents(
            connection, document_type, document_state, warehouse, limit
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
            "label.line_count",
            "label.user",
        ],
        [
            (
                r.number,
                st.t(f"document_type.{r.document_type}"),
                st.t(f"state.{r.state}"),
                r.business_date,
                r.warehouse,
                r.to_warehouse,
                r.lines,
                r.created_by,
            )
            for r in rows
        ],
    )


@docs.command("show", help="Show a document with its lines.")
def show(ctx: typer.Context, document_number: str) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        header, lines = document_queries.document(connection, document_number)
    reference = header.reverses or header.reversed_by or ""
    out.print(
        f"[bold]{header.number}[/]  {st.t(f'document_type.{header.document_type}')}  "
        f"{st.t(f'state.{header.state}')}  {header.business_date}  {header.warehouse}"
        f"{' → ' + header.to_warehouse if header.to_warehouse else ''}  {reference}"
    )
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
                line.batch,
                " ".join(line.serials),
            )
            for line in lines
        ],
    )
