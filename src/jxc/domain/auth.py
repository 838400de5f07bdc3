"""Who may do what, where: roles, their permissions, warehouse scopes, password rules.

Every write service asks ``authorize`` before it changes anything, so a role can only do
its part (DESIGN: 流程断点 / 责任难追溯): a clerk of one warehouse cannot post in another,
the auditor reads everything and changes nothing. A grant without a warehouse covers all
warehouses. Passwords never leave the auth service; its errors never say whether the
user name or the password was wrong.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from jxc.domain.errors import Forbidden, Invalid

ANY_DOCUMENT = "*"
MIN_PASSWORD_LENGTH = 8
MAX_FAILED_LOGINS = 5  # in a row; the next attempt waits out the lock
LOCK_DURATION = timedelta(minutes=15)
SESSION_DURATION = timedelta(days=7)
MAX_USERNAME = 64
FORGET_STRANGERS = timedelta(days=1)  # failures under a name no user has, kept this long


class Role(StrEnum):
    ADMIN = "admin"
    PURCHASER = "purchaser"
    SALES = "sales"
    WAREHOUSE_CLERK = "warehouse_clerk"
    WAREHOUSE_MANAGER = "warehouse_manager"
    FINANCE = "finance"
    AUDITOR = "auditor"


class Action(StrEnum):
    DOCUMENT_CREATE = "document.create"
    DOCUMENT_EDIT = "document.edit"  # change a draft, or one sent back (驳回), before it goes on
    DOCUMENT_REVERSE = "document.reverse"  # 红冲: make the reversal document
    CATALOG_MANAGE = "catalog.manage"  # units, items, conversions, barcodes
    WAREHOUSE_MANAGE = "warehouse.manage"  # warehouses, locations, negative stock
    USER_MANAGE = "user.manage"  # users, roles, passwords of others
    PERIOD_CLOSE = "period.close"  # 结账
    PERIOD_REOPEN = "period.reopen"  # 反结账: an admin's decision
    AUDIT_READ = "audit.read"  # the audit log and the list of users
    WORKFLOW_MANAGE = "workflow.manage"  # install workflow definitions: an admin's decision
    PARTNER_MANAGE = "partner.manage"  # suppliers, customers, sales channels
    STOCKTAKE_PLAN = "stocktake.plan"  # 盘点: plan, start (freeze), cancel
    STOCKTAKE_COUNT = "stocktake.count"  # 盘点录入: count and recount by scan, hand in
    STOCKTAKE_APPROVE = "stocktake.approve"  # 盘点复盘: see the book, post 盘盈 / 盘亏
    COMPANY_MANAGE = "company.manage"  # the company's settings, such as its time zone


_STOCK_DOCUMENTS = (
    "receipt",
    "issue",
    "transfer",
    "sales_delivery",
    "sales_return",
    "purchase_return",
    "putaway",
)


def _on(action: Action, *document_types: str) -> set[tuple[Action, str]]:
    return {(action, kind) for kind in document_types or (ANY_DOCUMENT,)}


# (action, document type) pairs each role holds; ANY_DOCUMENT where no type applies. Who
# takes each workflow step (submit, approve, execute …) is the workflow definition's say.
PERMISSIONS: dict[Role, frozenset[tuple[Action, str]]] = {
    Role.ADMIN: frozenset(
        pair
        for action in Action
        for pair in (
            _on(action, *_STOCK_DOCUMENTS, "sales_order", "purchase_order", "reversal")
            if action.value.startswith("document.")
            else _on(action)
        )
    ),
    Role.PURCHASER: frozenset(
        _on(Action.DOCUMENT_CREATE, "receipt", "purchase_order", "purchase_return")
        | _on(Action.DOCUMENT_EDIT, "receipt", "purchase_order", "purchase_return")
        | _on(Action.CATALOG_MANAGE)
        | _on(Action.PARTNER_MANAGE)
    ),
    Role.SALES: frozenset(
        _on(Action.DOCUMENT_CREATE, "issue", "sales_order", "sales_delivery", "sales_return")
        | _on(Action.DOCUMENT_EDIT, "issue", "sales_order", "sales_delivery", "sales_return")
        | _on(Action.PARTNER_MANAGE)
    ),
    Role.WAREHOUSE_CLERK: frozenset(
        _on(Action.DOCUMENT_CREATE, *_STOCK_DOCUMENTS)
        | _on(Action.DOCUMENT_EDIT, *_STOCK_DOCUMENTS)
        | _on(Action.STOCKTAKE_COUNT)
    ),
    Role.WAREHOUSE_MANAGER: frozenset(
        _on(Action.DOCUMENT_CREATE, *_STOCK_DOCUMENTS)
        | _on(Action.DOCUMENT_EDIT, *_STOCK_DOCUMENTS)
        | _on(Action.DOCUMENT_REVERSE, *_STOCK_DOCUMENTS)
        | _on(Action.WAREHOUSE_MANAGE)
        | _on(Action.STOCKTAKE_PLAN)
        | _on(Action.STOCKTAKE_COUNT)
        | _on(Action.STOCKTAKE_APPROVE)
    ),
    Role.FINANCE: frozenset(
        _on(Action.DOCUMENT_REVERSE, *_STOCK_DOCUMENTS) | _on(Action.PERIOD_CLOSE)
    ),
    Role.AUDITOR: frozenset(_on(Action.AUDIT_READ)),
}


@dataclass(frozen=True, order=True)
class Grant:
    role: Role
    warehouse: str | None = None  # None: every warehouse


@dataclass(frozen=True)
class Principal:
    """A signed-in user and what they were granted."""

    username: str
    grants: tuple[Grant, ...]

    @property
    def visible_warehouses(self) -> frozenset[str] | None:
        """The warehouses whose documents and stock this user sees; None: every one."""
        if any(grant.warehouse is None for grant in self.grants):
            return None
        return frozenset(grant.warehouse for grant in self.grants if grant.warehouse)

    def sees(self, *warehouses: str | None) -> bool:
        """Whether any of ``warehouses`` (a document's source and destination) is visible."""
        visible = self.visible_warehouses
        return visible is None or any(w in visible for w in warehouses if w)

    def holds(self, roles: Collection[Role], warehouse: str) -> bool:
        """Whether one of ``roles`` is granted to this user for ``warehouse``."""
        return any(
            grant.role in roles and grant.warehouse in (None, warehouse) for grant in self.grants
        )

    def may_somewhere(self, action: Action, document_type: str = ANY_DOCUMENT) -> bool:
        """Whether this user may take ``action`` in some warehouse (or in all of them)."""
        return any(
            self.may(action, document_type, warehouse=grant.warehouse) for grant in self.grants
        )

    def may(
        self, action: Action, document_type: str = ANY_DOCUMENT, warehouse: str | None = None
    ) -> bool:
        return any(
            (action, document_type) in PERMISSIONS[grant.role]
            and (grant.warehouse is None or grant.warehouse == warehouse)
            for grant in self.grants
        )


def authorize(
    principal: Principal,
    action: Action,
    document_type: str = ANY_DOCUMENT,
    warehouses: Iterable[str | None] = (None,),
) -> None:
    """Refuse unless ``principal`` may take ``action`` in every one of ``warehouses``.

    Raises:
        Forbidden: auth.forbidden, auth.forbidden_in_warehouse or auth.forbidden_document,
            naming the user, the action, the document type and the warehouse not covered.
    """
    for warehouse in warehouses:
        if principal.may(action, document_type, warehouse):
            continue
        params = {"user": principal.username, "action": action.value}
        if warehouse is None:
            raise Forbidden("auth.forbidden", params)
        params["warehouse"] = warehouse
        if document_type == ANY_DOCUMENT:
            raise Forbidden("auth.forbidden_in_warehouse", params)
        raise Forbidden("auth.forbidden_document", {**params, "document_type": document_type})


def authorize_step(
    principal: Principal,
    roles: Collection[Role],
    action: str,
    number: str,
    warehouse: str,
) -> None:
    """Refuse a workflow step unless one of ``roles`` is granted for ``warehouse``.

    Raises:
        Forbidden: workflow.role_required naming the user, the step, the roles and warehouse.
    """
    if principal.holds(roles, warehouse):
        return
    raise Forbidden(
        "workflow.role_required",
        {
            "user": principal.username,
            "action": action,
            "number": number,
            "roles": sorted(role.value for role in roles),
            "warehouse": warehouse,
        },
    )


def check_password(username: str, password: str) -> None:
    """Raises Invalid auth.password_too_short or auth.password_is_username."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Invalid("auth.password_too_short", {"minimum": MIN_PASSWORD_LENGTH})
    if password.casefold() == username.casefold():
        raise Invalid("auth.password_is_username", {})


def locked_until(failed_logins: int, last_failure: datetime) -> datetime | None:
    """When an account with ``failed_logins`` failures in a row may try again, if locked."""
    if failed_logins < MAX_FAILED_LOGINS:
        return None
    return last_failure + LOCK_DURATION


def csrf_token(session_token: str) -> str:
    """What a browser's write sends besides its session cookie (form field or header).

    Bound to the session: a page of one session cannot post for another, and a page of
    another site, which cannot read ours, cannot send it.
    """
    return hmac.new(session_token.encode(), b"jxc-csrf", hashlib.sha256).hexdigest()


def check_csrf(session_token: str, sent: str) -> None:
    """Refuse a browser's write that does not carry its session's CSRF token.

    Raises:
        Forbidden: auth.csrf_invalid.
    """
    expected = csrf_token(session_token).encode()
    if not session_token or not hmac.compare_digest(sent.encode(), expected):
        raise Forbidden("auth.csrf_invalid", {})
