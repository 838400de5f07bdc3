"""审计导出 pages: export a scope's whole history in one action, and check an export file."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from jxc.domain.audit_export import ExportScope
from jxc.domain.auth import Action
from jxc.domain.errors import Invalid, NotFound
from jxc.exports import HISTORY_SECTIONS, ExportFormat
from jxc.services import audit_exports, auth
from jxc.web.forms import FormErrors, form_errors
from jxc.web.pages import AppDep, UserDep, WriterDep
from jxc.web.render import locale_of, page

router = APIRouter(include_in_schema=False)


def _form_page(
    request: Request,
    user: UserDep,
    scope: ExportScope,
    status_code: int = 200,
    errors: FormErrors | None = None,
    **context: object,
) -> Response:
    return page(
        request,
        "audit_export.html",
        status_code,
        user=user,
        scope=scope,
        errors=errors or FormErrors(),
        sections=HISTORY_SECTIONS,
        **context,
    )


@router.get("/audit/export")
async def export_page(
    request: Request,
    app: AppDep,
    user: UserDep,
    item: str = "",
    batch: str = "",
    serial: str = "",
    start: str = "",
    end: str = "",
    format: ExportFormat | None = None,
) -> Response:
    """The form; with ``format`` given, the export itself as a download."""
    locale = locale_of(request)
    scope = ExportScope()
    try:
        scope = ExportScope.from_form(item, batch, serial, start, end)
        if format is None:
            await run_in_threadpool(auth.allow, app.uow(), user.username, Action.AUDIT_READ)
            return _form_page(request, user, scope)
        file, manifest = await run_in_threadpool(
            audit_exports.export_history, app.uow(), user.username, scope, format, locale
        )
    except (Invalid, NotFound) as error:  # a refusal to read goes to the forbidden page
        return _form_page(request, user, scope, 422, form_errors(error, locale))
    headers = {**file.headers, "X-Export-Digest": manifest.digest}
    return Response(file.content, media_type=file.media_type, headers=headers)


@router.post("/audit/export/verify")
async def verify_page(
    request: Request,
    app: AppDep,
    user: WriterDep,
    file: Annotated[UploadFile, Form()],
) -> Response:
    content = await file.read()
    try:
        check = await run_in_threadpool(
            audit_exports.verify_export, app.uow(), user.username, content
        )
    except Invalid as error:
        errors = form_errors(error, locale_of(request))
        return _form_page(request, user, ExportScope(), 422, errors)
    return _form_page(
        request, user, ExportScope(), 200 if check.ok else 422, check=check, filename=file.filename
    )
