"""`jxc login / logout / whoami` and `jxc user …`: who acts, and what each role may do."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from jxc.cli import sessions
from jxc.cli.output import RequestId, State, out, state, table
from jxc.config import SUPPORTED_LOCALES
from jxc.domain.auth import Action, Grant, Role
from jxc.domain.errors import Invalid
from jxc.domain.periods import shown_time
from jxc.i18n.messages import named
from jxc.queries import users as user_queries
from jxc.services import auth

users_app = typer.Typer(help="Users and roles (用户与权限).", no_args_is_help=True)

RoleOption = Annotated[
    list[str],
    typer.Option(
        "--role",
        help="ROLE or ROLE@WAREHOUSE (admin, purchaser, sales, warehouse_clerk, "
        "warehouse_manager, finance, auditor); repeat for several.",
    ),
]


def register(app: typer.Typer) -> None:
    app.command("login", help="Sign in; later commands act as you (登录).")(login)
    app.command("logout", help="Sign out (退出登录).")(logout)
    app.command("whoami", help="Who the commands act as, with their roles.")(whoami)
    app.add_typer(users_app, name="user")


def _password(st: State, label: str, confirm: bool = False) -> str:
    """A password typed at the terminal (twice, if ``confirm``), or a line of standard input.

    A script pipes each password asked for as a line; Click's prompt would read it too,
    but warn in English that the input may be echoed.

    Raises:
        Invalid: auth.passwords_differ (the two typed differ).
    """
    if not sys.stdin.isatty():
        given = sys.stdin.readline()
        if not given:
            raise typer.Abort
        return given.rstrip("\r\n")
    typed = str(typer.prompt(st.t(label), hide_input=True))
    if confirm and typer.prompt(st.t("label.password_again"), hide_input=True) != typed:
        raise Invalid("auth.passwords_differ", {})
    return typed


def _role(value: str) -> tuple[Role, str | None]:
    name, _, warehouse = value.partition("@")
    role = named("role.", name.strip(), [r.value for r in Role], SUPPORTED_LOCALES)
    if role is None:
        raise Invalid("auth.role_unknown", {"role": name, "roles": [r.value for r in Role]})
    return Role(role), warehouse.strip() or None


def _shown(st: State, grants: tuple[Grant, ...] | list[Grant]) -> str:
    return ", ".join(
        st.t(f"role.{g.role.value}") + (f"@{g.warehouse}" if g.warehouse else "") for g in grants
    )


def login(ctx: typer.Context, user: str) -> None:
    st = state(ctx)
    password = st.settings.password or _password(st, "label.password")
    session = auth.login(st.app.uow(), user, password)
    sessions.save(st.settings, session.token)
    until = shown_time(session.expires_at, st.app.zone)
    out.print(st.t("label.signed_in", user=session.username, until=until))


def logout(ctx: typer.Context) -> None:
    st = state(ctx)
    token = sessions.load(st.settings)
    if token is not None:
        auth.logout(st.app.uow(), token)
        sessions.forget(st.settings)
    out.print(st.t("label.signed_out"))


def whoami(ctx: typer.Context) -> None:
    st = state(ctx)
    actor = st.actor
    with st.app.reader() as connection:
        found = [u for u in user_queries.users(connection) if u.username == actor]
    grants = found[0].grants if found else ()
    out.print(f"{actor} ({found[0].display_name if found else ''}): {_shown(st, grants)}")


@users_app.command(
    "add", help='Add a user: jxc user add clerk.sh01 "仓管员 张三" --role warehouse_clerk@SH01'
)
def add_user(
    ctx: typer.Context,
    username: str,
    display_name: str,
    role: RoleOption = [],  # noqa: B006
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    actor = st.actor
    auth.allow(st.app.uow(), actor, Action.USER_MANAGE)  # before anyone types a password
    grants = [_role(value) for value in role]
    password = _password(st, "label.new_password", True)
    auth.add_user(
        st.app.uow(),
        actor,
        {
            "username": username,
            "display_name": display_name,
            "password": password,
            "grants": [{"role": r, "warehouse": w} for r, w in grants],
        },
        request_id=request_id,
    )
    out.print(st.t("label.user_added", user=username))


@users_app.command("list", help="Users with their roles and warehouses.")
def list_users(ctx: typer.Context) -> None:
    st = state(ctx)
    auth.allow(st.app.uow(), st.actor, Action.AUDIT_READ)
    with st.app.reader() as connection:
        rows = user_queries.users(connection)
    table(
        st,
        ["label.user", "label.name", "label.roles", "label.active"],
        [
            (u.username, u.display_name, _shown(st, u.grants), "✓" if u.active else "✗")
            for u in rows
        ],
    )


@users_app.command(
    "grant", help="Give a user a role: jxc user grant clerk.sh01 warehouse_clerk@SZ01"
)
def grant(ctx: typer.Context, username: str, role: str, request_id: RequestId = None) -> None:
    st = state(ctx)
    given, warehouse = _role(role)
    auth.grant(st.app.uow(), st.actor, username, given, warehouse, request_id=request_id)
    out.print(st.t("label.saved"))


@users_app.command(
    "revoke", help="Take a role away: jxc user revoke clerk.sh01 warehouse_clerk@SZ01"
)
def revoke(ctx: typer.Context, username: str, role: str, request_id: RequestId = None) -> None:
    st = state(ctx)
    taken, warehouse = _role(role)
    auth.revoke(st.app.uow(), st.actor, username, taken, warehouse, request_id=request_id)
    out.print(st.t("label.saved"))


@users_app.command("passwd", help="Change your password, or (admin) another user's.")
def passwd(
    ctx: typer.Context,
    username: Annotated[str | None, typer.Argument()] = None,
    request_id: RequestId = None,
) -> None:
    st = state(ctx)
    actor = st.actor
    target = username or actor
    if target != actor:
        auth.allow(st.app.uow(), actor, Action.USER_MANAGE)  # before anyone types a password
    current = _password(st, "label.current_password") if target == actor else None
    new = _password(st, "label.new_password", True)
    auth.set_password(st.app.uow(), actor, target, new, current, request_id=request_id)
    out.print(st.t("label.saved"))


@users_app.command("disable", help="Stop a user from signing in or acting.")
def disable(ctx: typer.Context, username: str, request_id: RequestId = None) -> None:
    st = state(ctx)
    auth.set_active(st.app.uow(), st.actor, username, False, request_id=request_id)
    out.print(st.t("label.saved"))


@users_app.command("enable", help="Let a disabled user sign in again.")
def enable(ctx: typer.Context, username: str, request_id: RequestId = None) -> None:
    st = state(ctx)
    auth.set_active(st.app.uow(), st.actor, username, True, request_id=request_id)
    out.print(st.t("label.saved"))


tokens_app = typer.Typer(
    help="API tokens for integrations (接口令牌): issue, list, revoke.", no_args_is_help=True
)
users_app.add_typer(tokens_app, name="token")


@tokens_app.command("issue", help="Issue a token an integration uses to act as USER.")
def issue_token(
    ctx: typer.Context,
    username: str,
    name: Annotated[str, typer.Option(help="What it is for, e.g. 天猫同步.")],
    days: Annotated[int, typer.Option(min=1, max=3650, help="Days it stays valid.")] = 365,
) -> None:
    st = state(ctx)
    issued = auth.issue_token(
        st.app.uow(), st.actor, {"user": username, "name": name, "days": days}
    )
    out.print(
        st.t(
            "label.token_issued",
            id=issued.id,
            user=issued.username,
            expires=shown_time(issued.expires_at, st.app.zone)[:10],  # as token list shows it
        )
    )
    out.print(issued.token)


@tokens_app.command("list", help="Every API token issued, newest first.")
def list_tokens(ctx: typer.Context) -> None:
    st = state(ctx)
    table(
        st,
        [
            "label.token",
            "label.name",
            "label.user",
            "label.issued_by",
            "label.created_at",
            "label.expires",
            "label.revoked",
        ],
        [
            (
                token.id,
                token.name,
                token.username,
                token.issued_by or "",
                shown_time(token.created_at, st.app.zone),
                shown_time(token.expires_at, st.app.zone)[:10],
                shown_time(token.ended_at, st.app.zone) if token.ended_at else "",
            )
            for token in auth.tokens(st.app.uow(), st.actor)
        ],
    )


@tokens_app.command("revoke", help="End a token at once (its id from jxc user token list).")
def revoke_token(ctx: typer.Context, token_id: str) -> None:
    st = state(ctx)
    auth.revoke_token(st.app.uow(), st.actor, token_id)
    out.print(st.t("label.token_revoked", id=token_id))
