"""`jxc init` and `jxc demo`: create or upgrade the database, load the demo company."""

from __future__ import annotations

import secrets
from typing import Annotated

import typer

from jxc.bootstrap import current_revision, upgrade
from jxc.cli.output import out, state
from jxc.cli.stock import show_warehouse_stock
from jxc.domain.periods import zone_name
from jxc.services import auth, demo


def register(app: typer.Typer) -> None:
    app.command("init", help="Create or upgrade the database (建账 / 升级数据库).")(init)
    app.command("demo", help="Load the demo company: 5 warehouses, items, months of documents.")(
        load_demo
    )


def init(
    ctx: typer.Context,
    admin: Annotated[
        str, typer.Option(help="User name of the first admin, if the database has no users.")
    ] = "admin",
    admin_password: Annotated[
        str | None,
        typer.Option(
            envvar="JXC_ADMIN_PASSWORD",
            help="Password of that admin; without it one is generated and shown once.",
        ),
    ] = None,
) -> None:
    st = state(ctx)
    newly_kept = upgrade(st.app)
    url = st.app.engine.url.render_as_string(hide_password=True)
    out.print(st.t("label.initialized", url=url, revision=current_revision(st.app)))
    if newly_kept:
        out.print(st.t("label.company_timezone_kept", zone=newly_kept))
    else:
        out.print(st.t("label.company_timezone", zone=zone_name(st.app.zone)))
    if auth.has_users(st.app.uow()):
        return
    password = admin_password or secrets.token_urlsafe(12)
    auth.create_first_admin(st.app.uow(), admin, password)
    if admin_password:
        out.print(st.t("label.admin_created", user=admin))
    else:
        out.print(st.t("label.admin_created_with_password", user=admin, password=password))


def load_demo(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=7, max=730, help="Days of history to generate.")] = 90,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same company).")] = 2026,
) -> None:
    st = state(ctx)
    upgrade(st.app)
    summary = demo.load(st.app.uow(), days=days, seed=seed)
    if summary is None:
        out.print(st.t("label.demo_present"))
    else:
        out.print(st.t("label.demo_done", **summary.__dict__))
        users = ", ".join(name for name, _, _, _ in demo.DEMO_USERS)
        out.print(st.t("label.demo_users", users=users, example=demo.demo_password("admin")))
    show_warehouse_stock(st, demo.MAIN_WAREHOUSE, by_value=True, top=12)
