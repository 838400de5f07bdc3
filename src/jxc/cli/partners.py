"""`jxc partner …`: suppliers, customers and sales channels, and a channel's sellable stock."""

from __future__ import annotations

from typing import Annotated

import typer

from jxc.cli.output import RequestId, out, state, table
from jxc.domain.quantities import normalized
from jxc.queries import partners as partner_queries
from jxc.services import partners

partner_app = typer.Typer(
    help="Partners (往来单位): suppliers, customers, channels.", no_args_is_help=True
)

Kind = Annotated[str, typer.Option(help="supplier (供应商), customer (客户) or channel (渠道).")]
Warehouse = Annotated[
    list[str], typer.Option("--warehouse", help="A warehouse a channel sells from (repeat).")
]


def register(app: typer.Typer) -> None:
    app.add_typer(partner_app, name="partner")


@partner_app.command(
    "add",
    help='Add a partner: jxc partner add TMALL "天猫旗舰店" --kind channel --channel-kind online '
    "--platform 天猫 --warehouse SH01 --buffer 2",
)
def add_partner(
    ctx: typer.Context,
    code: str,
    name: str,
    kind: Kind = "customer",
    contact: Annotated[str | None, typer.Option(help="Contact person (联系人).")] = None,
    phone: Annotated[str | None, typer.Option(help="Phone (电话).")] = None,
    email: Annotated[str | None, typer.Option(help="E-mail.")] = None,
    address: Annotated[str | None, typer.Option(help="Address (地址).")] = None,
    default_warehouse: Annotated[
        str | None, typer.Option(help="The warehouse its documents default to.")
    ] = None,
    channel_kind: Annotated[
        str | None, typer.Option(help="A channel's kind: store (门店) or online (网店).")
    ] = None,
    platform: Annotated[str | None, typer.Option(help="An online shop's platform.")] = None,
    warehouse: Warehouse = [],  # noqa: B006
    buffer: Annotated[
        str | None, typer.Option(help="Units of each item a channel keeps back (安全缓冲).")
    ] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    fields = {
        "code": code,
        "name": name,
        "kind": kind,
        "contact": contact,
        "phone": phone,
        "email": email,
        "address": address,
        "default_warehouse": default_warehouse,
        "channel_kind": channel_kind,
        "platform": platform,
        "warehouses": warehouse or None,
        "safety_buffer": buffer,
    }
    added = partners.add(
        st.app.uow(),
        st.actor,
        {key: value for key, value in fields.items() if value is not None},
        request_id=request_id,
    )
    out.print(st.t("label.partner_added", partner=added))


@partner_app.command("list", help="List partners, of one kind or all.")
def list_partners(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option(help="supplier, customer or channel.")] = None,
    search: Annotated[str | None, typer.Option(help="Part of a code or name.")] = None,
) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        rows = partner_queries.partners(connection, kind, search)
    table(
        st,
        [
            "label.code",
            "label.name",
            "label.kind",
            "label.contact",
            "label.phone",
            "label.channel_kind",
            "label.platform",
            "label.sells_from",
            "label.safety_buffer",
        ],
        [
            (
                r.code,
                r.name,
                st.t(f"partner_kind.{r.kind}"),
                r.contact,
                r.phone,
                st.t(f"channel_kind.{r.channel_kind}") if r.channel_kind else None,
                r.platform,
                ", ".join(r.warehouses),
                normalized(r.safety_buffer) if r.channel_kind else None,
            )
            for r in rows
        ],
    )


@partner_app.command(
    "sellable", help="可售库存: what a channel may offer of each item (available less its buffer)."
)
def sellable(
    ctx: typer.Context,
    channel: str,
    item: Annotated[str | None, typer.Option(help="One item only.")] = None,
) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        found = partner_queries.partner(connection, channel)
        rows = partner_queries.channel_stock(connection, channel, item)
    table(
        st,
        ["label.item", "label.name", "label.available", "label.sellable", "label.unit"],
        [
            (r.item, r.item_name, normalized(r.available), normalized(r.sellable), r.unit)
            for r in rows
        ],
        title=st.t(
            "label.channel_stock_title",
            partner=f"{found.code} {found.name}",
            warehouses=", ".join(found.warehouses),
            buffer=normalized(found.safety_buffer),
        ),
    )


@partner_app.command(
    "changes", help="变更流: items changed since a cursor, with what the channel may sell now."
)
def changes(
    ctx: typer.Context,
    channel: str,
    since: Annotated[int, typer.Option(help="The cursor the last call printed.")] = 0,
) -> None:
    st = state(ctx)
    with st.app.reader() as connection:
        found = partner_queries.channel_changes(connection, channel, since)
    table(
        st,
        [
            "label.item",
            "label.name",
            "label.warehouse",
            "label.warehouse_available",
            "label.available",
            "label.sellable",
            "label.unit",
            "label.sequence",
        ],
        [
            (
                r.item,
                r.item_name,
                r.warehouse,
                normalized(r.warehouse_available),
                normalized(r.available),
                normalized(r.sellable),
                r.unit,
                r.sequence,
            )
            for r in found.rows
        ],
    )
    out.print(st.t("label.changes_cursor", cursor=found.cursor))
    if found.more:
        out.print(st.t("label.changes_more"))
