"""Settings for admins: users and roles, the negative-stock switch, workflow definitions.

Each change goes through the same service (and permission check, and audit event) as its
`jxc` command; a refused one comes back on the page, in the user's language.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from jxc.bootstrap import App
from jxc.domain.auth import Action, Principal, Role
from jxc.domain.errors import DomainError, Forbidden, Invalid
from jxc.domain.workflow import DOCUMENT_TYPES
from jxc.queries import catalog as catalog_queries
from jxc.queries import users as user_queries
from jxc.services import auth, catalog, workflows
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep, WriterDep
from jxc.web.render import locale_of, page

router = APIRouter(prefix="/settings", include_in_schema=False)

# What each settings page needs: anyone without it is told so, not shown an empty page.
_PAGES = {
    "users": Action.USER_MANAGE,
    "warehouses": Action.WAREHOUSE_MANAGE,
    "workflows": Action.WORKFLOW_MANAGE,
}


def _may_open(user: Principal, section: str) -> bool:
    """Users and workflows need an all-warehouse grant, as their services do.

    A warehouse manager manages their own warehouses.
    """
    action = _PAGES[section]
    return user.may_somewhere(action) if section == "warehouses" else user.may(action)


def _context(app: App, user: Principal, section: str) -> dict[str, Any]:
    if not _may_open(user, section):
        raise Forbidden("auth.forbidden", {"user": user.username, "action": _PAGES[section]})
    with app.reader() as connection:
        context: dict[str, Any] = {
            "warehouses": [w for w in catalog_queries.warehouses(connection) if user.sees(w.code)],
            "people": user_queries.users(connection) if section == "users" else [],
        }
    if section == "workflows":
        context["installed"] = {
            stored.document_type: (stored, workflow)
            for stored, workflow in workflows.installed(app.uow())
        }
        context["document_types"] = DOCUMENT_TYPES
    context["roles"] = list(Role)
    return context


async def _show(
    request: Request,
    app: App,
    user: Principal,
    section: str,
    status_code: int = 200,
    errors: FormErrors | None = None,
    **typed: Any,
) -> Response:
    context = await run_in_threadpool(_context, app, user, section)
    return page(
        request,
        f"settings_{section}.html",
        status_code,
        user=user,
        section=section,
        errors=errors or FormErrors(),
        typed=typed,
        **context,
    )


async def _change(
    request: Request,
    app: App,
    user: Principal,
    section: str,
    change: Callable[[], object],
    **typed: Any,
) -> Response:
    """Make a change, then show the page again: afresh, or with why it was refused."""
    try:
        await run_in_threadpool(change)
    except DomainError as error:
        errors = form_errors(error, locale_of(request))
        return await _show(request, app, user, section, 422, errors, **typed)
    return RedirectResponse(f"/settings/{section}", status_code=303)


@router.get("")
async def settings_home(user: UserDep) -> Response:
    for section in _PAGES:
        if _may_open(user, section):
            return RedirectResponse(f"/settings/{section}", status_code=303)
    raise Forbidden("auth.forbidden", {"user": user.username, "action": Action.USER_MANAGE})


def _page_route(section: str) -> None:
    async def settings_page(request: Request, app: AppDep, user: UserDep) -> Response:
        return await _show(request, app, user, section)

    router.add_api_route(f"/{section}", settings_page, methods=["GET"])


for _section in _PAGES:
    _page_route(_section)


# users ---------------------------------------------------------------------------------------


@router.post("/users")
async def add_user(
    request: Request,
    app: AppDep,
    user: WriterDep,
    username: Annotated[str, Form()] = "",
    display_name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    warehouse: Annotated[str, Form()] = "",
    request_id: Annotated[str | None, Form()] = None,
) -> Response:
    data = {
        "username": username.strip(),
        "display_name": display_name.strip() or username.strip(),
        "password": password,
        "grants": [{"role": role, "warehouse": warehouse or None}] if role else [],
    }
    return await _change(
        request,
        app,
        user,
        "users",
        lambda: auth.add_user(app.uow(), user.username, data, request_id),
        username=username,
        display_name=display_name,
        role=role,
        warehouse=warehouse,  # shown again as chosen: never widened to all warehouses
    )


@router.post("/users/{username}/grants")
async def grant(
    request: Request,
    app: AppDep,
    user: WriterDep,
    username: str,
    role: Annotated[str, Form()] = "",
    warehouse: Annotated[str, Form()] = "",
    revoke: Annotated[bool, Form()] = False,
) -> Response:
    def change() -> None:
        chosen = _role(role)
        act = auth.revoke if revoke else auth.grant
        act(app.uow(), user.username, username, chosen, warehouse or None)

    return await _change(request, app, user, "users", change)


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise Invalid("auth.role_unknown", {"role": value, "roles": ", ".join(Role)}) from None


@router.post("/users/{username}/active")
async def set_active(
    request: Request,
    app: AppDep,
    user: WriterDep,
    username: str,
    active: Annotated[bool, Form()] = False,
) -> Response:
    return await _change(
        request,
        app,
        user,
        "users",
        lambda: auth.set_active(app.uow(), user.username, username, active),
    )


# warehouses and workflows --------------------------------------------------------------------


@router.post("/warehouses/{warehouse}/negative-stock")
async def set_negative_stock(
    request: Request,
    app: AppDep,
    user: WriterDep,
    warehouse: str,
    allow: Annotated[bool, Form()] = False,
) -> Response:
    return await _change(
        request,
        app,
        user,
        "warehouses",
        lambda: catalog.set_negative_stock(app.uow(), user.username, warehouse, allow),
    )


@router.post("/workflows/use")
async def use_shipped(
    request: Request,
    app: AppDep,
    user: WriterDep,
    set_name: Annotated[str, Form()] = "",
) -> Response:
    return await _change(
        request,
        app,
        user,
        "workflows",
        lambda: workflows.use(app.uow(), user.username, set_name),
    )


@router.post("/workflows/install")
async def install(
    request: Request,
    app: AppDep,
    user: WriterDep,
    source: Annotated[str, Form()] = "",
) -> Response:
    return await _change(
        request,
        app,
        user,
        "workflows",
        lambda: workflows.install(app.uow(), user.username, source),
        source=source,
    )
