"""Message templates: one per error code and UI label, English source, named placeholders.

The English text is the msgid; ``locale/<lang>/LC_MESSAGES/jxc.po`` translates it.
Catalogues are read with Babel's pofile reader once per process, so no compiled files
need to ship or be built.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

from babel.messages.pofile import read_po

ERRORS: dict[str, str] = {
    "auth.failed": "Wrong user name or password",
    "auth.forbidden": "User {user} may not {action}",
    "auth.forbidden_document": "User {user} may not {action} {document_type} documents in warehouse {warehouse}",
    "auth.forbidden_in_warehouse": "User {user} may not {action} in warehouse {warehouse}",
    "auth.grant_exists": "User {user} already has the role {role} there",
    "auth.grant_unknown": "User {user} has no such grant of the role {role}",
    "auth.last_admin": "At least one active admin of every warehouse must remain",
    "auth.username_reserved": "{user} is reserved for the system's own entries; choose another user name",
    "auth.locked": "Too many failed sign-ins: {user} is locked until {until} (UTC)",
    "auth.password_is_username": "The password must not be the user name",
    "auth.password_too_short": "The password needs at least {minimum} characters",
    "auth.role_unknown": "{role} is not a role; roles: {roles}",
    "auth.required": "Sign in first: jxc login USER (scripts: set JXC_USER and JXC_PASSWORD)",
    "auth.session_ended": "Your session has ended (logged out, expired or the user disabled); sign in again with jxc login",
    "auth.unknown_user": "{user} is not an active user; an admin adds users with jxc user add",
    "auth.user_unknown": "User {user} does not exist",
    "auth.username_taken": "User name {user} is already taken",
    "auth.users_exist": "This database already has users; an admin adds more with jxc user add",
    "barcode.taken": "Barcode {barcode} already belongs to item {item}",
    "batch.dates_conflict": "Batch {batch} already has {field} {known}, not {given}",
    "batch.dates_without_batch": "Production or expiry date given without a batch number",
    "batch.expiry_before_production": "Batch {batch} expires ({expiry_date}) before it is produced ({production_date})",
    "batch.expiry_date_required": "Batch {batch} of {item} needs an expiry date (the item has no shelf life)",
    "batch.not_tracked": "Item {item} is not batch-tracked; remove the batch number",
    "batch.production_date_required": "Batch {batch} of {item} needs a production date",
    "batch.required": "Item {item} is batch-tracked; the line needs a batch number",
    "batch.unknown": "Batch {batch} of item {item} does not exist",
    "check.balance_mismatch": "Balance of {item} at {location} (batch {batch}) is {cached} but the ledger says {ledger}",
    "check.item_not_balanced": "Item {item} does not sum to zero over all locations (sum {sum})",
    "check.negative_available": "Available stock of {item} at {location} (batch {batch}) is negative: {available}",
    "check.reserved_invalid": "Reserved {reserved} of {item} at {location} is not within 0..{on_hand}",
    "check.serial_misplaced": "Serial {serial} of {item} is not where its last movement put it",
    "check.value_mismatch": "Cost pool of {item} in warehouse {warehouse} (in transit: {in_transit}) holds {cached} but the ledger says {ledger}",
    "concurrency.retry_exhausted": "The database stayed busy after {attempts} attempts; nothing was written, try again",
    "database.not_initialised": "The database {url} has no JXC tables yet; run jxc init (or jxc demo) first",
    "database.url_invalid": "{url} is not a database URL (use sqlite:///path/to/file.db or postgresql://user:password@host/database)",
    "database.unreachable": "Cannot reach the database {url}: {reason}",
    "date.range_reversed": "The period starts on {start}, after it ends on {end}",
    "amount.too_large": "The line is worth {amount}, more than the maximum {maximum}",
    "number.out_of_range": "A total would go beyond what the database stores exactly ({detail}); nothing was written",
    "date.invalid": "{field}: {value} is not a date (use YYYY-MM-DD)",
    "demo.database_not_empty": "The demo company goes into an empty database; this one holds other data or users (use --db with a new file)",
    "document.already_posted": "Document {number} is already {state}; a posted document cannot be posted again",
    "document.already_reversed": "Document {number} has already been reversed",
    "document.changed_concurrently": "Document {number} was changed by someone else at the same time; nothing was written",
    "document.counterpart_not_for_transfer": "A transfer has no counterpart; it moves between two warehouses",
    "document.not_in_transit": "Document {number} is {state}, not in transit; only a shipped transfer can be received",
    "document.not_posted": "Document {number} is a draft; only posted documents can be reversed",
    "document.reversal_by_reverse_only": "Reversal documents are created by reversing a posted document",
    "document.reversal_not_reversible": "Document {number} is a reversal and cannot itself be reversed",
    "document.to_location_only_for_transfer": "Only a transfer line has a destination location",
    "document.to_warehouse_only_for_transfer": "Only a transfer has a destination warehouse",
    "document.unknown": "Document {number} does not exist",
    "field.invalid": "{field}: {value} is not valid",
    "field.required": "{field} is required",
    "field.unknown": "{field} is not a known field",
    "file.column_missing": "{file}: column {column} is missing (expected: {expected})",
    "file.empty": "{file} has no data rows",
    "file.column_unknown": "{file}: column {column} is not known (expected: {expected})",
    "file.json_shape": '{file}: expected a list of lines or an object with "lines"',
    "file.json_syntax": "{file}: not valid JSON at row {row}, column {column}",
    "file.not_utf8": "{file} is not UTF-8 text (byte {byte}); save it as UTF-8 CSV",
    "file.row_field_count": "{file}, row {row}: {found} fields, but the header has {expected}",
    "file.not_found": "File {file} does not exist",
    "file.unsupported_format": "{file}: only .csv and .json files are supported",
    "input.invalid": "{count} problems found; nothing was written",
    "item.code_taken": "Item code {item} is already taken",
    "item.unknown": "Item {item} does not exist",
    "list.invalid": "{field} must be a list",
    "list.too_long": "{field} has too many entries",
    "list.too_short": "{field} needs at least one entry",
    "location.code_taken": "Location {location} already exists in warehouse {warehouse}",
    "location.not_internal": "Location {location} is not a storage location",
    "location.not_virtual": "{location} is not a counterpart location; use one of {allowed}",
    "location.unknown": "Location {location} does not exist in warehouse {warehouse}",
    "number.invalid": "{field}: {value} is not a number",
    "period.already_closed": "{period} is already closed",
    "period.close_out_of_order": "Months close in order: close {expected} before {period}",
    "period.closed": "{date} lies in the closed period {period}; book it in an open month, or an admin reopens the period (反结账)",
    "period.invalid": "{value} is not a month (use YYYY-MM)",
    "period.not_closed": "{period} is not closed",
    "period.not_ended": "{period} has not ended yet; a month is closed after its last day",
    "period.reason_required": "Reopening {period} needs a reason (--reason)",
    "period.reopen_not_latest": "Only the latest closed month, {latest}, can be reopened; reopen it before {period}",
    "check.snapshot_mismatch": "The snapshot of closed period {period} holds {snapshot} of {item} at {location} (batch {batch}) but the ledger says {ledger}",
    "quantity.not_a_number": "Quantity {value} is not a number",
    "quantity.not_positive": "Quantity must be greater than zero, not {quantity}",
    "quantity.too_large": "Quantity {quantity} is larger than the maximum {maximum}",
    "quantity.too_precise": "Quantity {quantity} has more decimals than unit {unit} allows ({decimals})",
    "request.idempotency_key_reused": "Request id {request_id} was already used for a different request ({operation})",
    "serial.already_in_stock": "Serial {serial} of {item} is already in stock at {location}",
    "serial.count_mismatch": "Item {item} needs one serial per unit: {expected} units but {given} serials",
    "serial.duplicated": "Serials listed twice: {serials}",
    "serial.moved_concurrently": "A serial was moved by someone else at the same time; nothing was written",
    "serial.not_in_stock": "Serial {serial} of {item} is not in stock here ({location})",
    "serial.not_tracked": "Item {item} is not serial-tracked; remove the serials",
    "serial.required": "Item {item} is serial-tracked; the line needs its serial numbers",
    "serial.unknown": "Serial {serial} does not exist",
    "stock.insufficient": "Not enough stock on {count} line(s); nothing was written",
    "stock.line_short": "Line {lines}: {item} at {location}{batch}: requested {requested}, available {available}",
    "text.too_long": "{field} is too long",
    "transfer.same_warehouse": "A transfer must go to another warehouse than {warehouse}",
    "transfer.to_warehouse_required": "A transfer needs a destination warehouse",
    "unit.code_taken": "Unit {unit} already exists",
    "unit.decimals_out_of_range": "A unit has 0 to 6 decimals, not {decimals}",
    "unit.inexact_conversion": "{quantity} {unit} is {base_quantity} {base_unit}, which the base unit cannot count exactly",
    "unit.is_base": "{unit} is the base unit of {item}",
    "unit.not_convertible": "Item {item} cannot be counted in {unit} (units: {units})",
    "unit.ratio_in_use": "The ratio of {unit} for {item} cannot change: the item has stock history",
    "unit.ratio_not_positive": "The ratio of {unit} must be greater than zero, not {ratio}",
    "unit.ratio_too_precise": "The ratio {ratio} of {unit} has more than 6 decimals",
    "unit.unknown": "Unit {unit} does not exist",
    "unit_cost.negative": "Unit cost cannot be negative ({unit_cost})",
    "unit_cost.only_on_receipts": "A unit cost is given only on receipts; issues are valued at average cost",
    "unit_cost.too_large": "Unit cost {unit_cost} is absurdly large",
    "unit_cost.too_precise": "Unit cost {unit_cost} has more than {decimals} decimals",
    "value.not_allowed": "{field}: {value} is not an allowed value",
    "warehouse.code_taken": "Warehouse code {warehouse} is already taken",
    "warehouse.unknown": "Warehouse {warehouse} does not exist",
}

LABELS: dict[str, str] = {
    "label.action": "Action",
    "label.as_of": "Stock at the end of {day} (from the snapshot of {start} on)",
    "label.balances": "Balances",
    "label.closed": "Closed",
    "label.period": "Period",
    "label.period_closed": "Period {period} closed; its snapshot keeps {balances} balances",
    "label.period_reopened": "Period {period} reopened",
    "label.reason": "Reason",
    "label.reopened": "Reopened",
    "label.active": "Active",
    "label.admin_created": "First admin {user} created",
    "label.admin_created_with_password": "First admin {user} created with password {password} (shown only now: sign in with jxc login {user} and change it with jxc user passwd)",
    "label.current_password": "Current password",
    "label.new_password": "New password",
    "label.password": "Password",
    "label.roles": "Roles",
    "label.signed_in": "Signed in as {user} until {until} (UTC)",
    "label.signed_out": "Signed out",
    "label.user_added": "User {user} added",
    "label.audit_ok": "Audit trail intact: {events} events, each sealed and linked to the one before; head {head}…",
    "label.audit_broken": "Audit trail broken at event #{sequence}: {problem}",
    "audit.break.changed": "its content no longer matches its seal; it was changed after it was recorded",
    "audit.break.unlinked": "it does not follow the event before it; an event was removed, inserted or moved",
    "audit.break.missing": "it is missing from the trail",
    "audit.break.truncated": "the trail ends before its recorded head; the newest events are missing",
    "label.details": "Details",
    "label.sequence": "No.",
    "label.subject": "Subject",
    "label.time": "Time",
    "label.available": "Available",
    "label.balance": "Balance",
    "label.batch": "Batch",
    "label.category": "Category",
    "label.check_failed": "Check failed: {count} problem(s)",
    "label.check_ok": "Check passed: {ledger_rows} ledger rows, {balances} balances, every balance equals the ledger",
    "label.code": "Code",
    "label.created": "Created {number} ({state}), {lines} line(s), {entries} ledger entries",
    "label.stepped": "{number} is now {state}: {lines} line(s), {entries} ledger entries",
    "label.state": "State",
    "label.to_warehouse": "To warehouse",
    "label.line_count": "Lines",
    "label.line_no": "Line",
    "label.date": "Date",
    "label.demo_users": "Demo users: {users}; each one's password is jxc- and the user name (admin: {example}). Sign in with jxc login USER",
    "label.demo_present": "The demo company is already loaded",
    "label.demo_done": "Demo company loaded: {warehouses} warehouses, {items} items, {documents} documents, {entries} ledger entries",
    "label.document": "Document",
    "label.expiry": "Expiry",
    "label.from": "From",
    "label.in": "In",
    "label.initialized": "Database ready at {url} (schema {revision})",
    "label.item": "Item",
    "label.kind": "Kind",
    "label.location": "Location",
    "label.name": "Name",
    "label.negative_allowed": "Negative stock allowed",
    "label.on_hand": "On hand",
    "label.opening": "Opening balance: {quantity}",
    "label.out": "Out",
    "label.quantity": "Quantity",
    "label.reserved": "Reserved",
    "label.serial": "Serial",
    "label.serials_title": "{item} at {warehouse}: {count} serial number(s) in stock",
    "label.specification": "Specification",
    "label.to": "To",
    "label.trace_backward": "Where it came from",
    "label.trace_forward": "Where it went",
    "label.trace_document": "This document",
    "label.trace_movements": "Every movement, oldest first",
    "label.tracking": "Tracking",
    "label.type": "Type",
    "label.unit": "Unit",
    "label.units": "Units",
    "label.user": "User",
    "label.value": "Value",
    "label.warehouse": "Warehouse",
    "label.warehouse_stock_title": "{warehouse}: {count} items in stock",
    "label.item_added": "Item {item} added",
    "label.warehouse_added": "Warehouse {warehouse} added",
    "label.location_added": "Location {location} added to {warehouse}",
    "label.saved": "Saved",
    "label.suggestion": "FEFO suggestion for {quantity} of {item} in {warehouse}",
    "label.short": "Short by {quantity}",
    "document_type.receipt": "Receipt",
    "document_type.issue": "Issue",
    "document_type.transfer": "Transfer",
    "document_type.reversal": "Reversal",
    "tracking.none": "None",
    "tracking.batch": "Batch",
    "tracking.serial": "Serial",
    "fieldname.warehouse": "Warehouse",
    "fieldname.to_warehouse": "To warehouse",
    "fieldname.business_date": "Business date",
    "fieldname.document_type": "Document type",
    "fieldname.lines": "Lines",
    "fieldname.item": "Item",
    "fieldname.quantity": "Quantity",
    "fieldname.unit": "Unit",
    "fieldname.location": "Location",
    "fieldname.to_location": "To location",
    "fieldname.batch": "Batch",
    "fieldname.production_date": "Production date",
    "fieldname.expiry_date": "Expiry date",
    "fieldname.serials": "Serial numbers",
    "fieldname.unit_cost": "Unit cost",
    "fieldname.counterpart": "Counterpart",
    "fieldname.note": "Note",
    "fieldname.code": "Code",
    "fieldname.name": "Name",
    "fieldname.base_unit": "Base unit",
    "fieldname.tracking": "Tracking",
    "fieldname.shelf_life_days": "Shelf life (days)",
    "fieldname.category": "Category",
    "fieldname.specification": "Specification",
    "column.item": "item",  # a CSV heading: as written in English files
    "column.quantity": "quantity",  # a CSV heading: as written in English files
    "column.unit": "unit",  # a CSV heading: as written in English files
    "column.location": "location",  # a CSV heading: as written in English files
    "column.to_location": "to_location",  # a CSV heading: as written in English files
    "column.batch": "batch",  # a CSV heading: as written in English files
    "column.production_date": "production_date",  # a CSV heading: as written in English files
    "column.expiry_date": "expiry_date",  # a CSV heading: as written in English files
    "column.serials": "serials",  # a CSV heading: as written in English files
    "column.unit_cost": "unit_cost",  # a CSV heading: as written in English files
    "state.draft": "Draft",
    "state.in_transit": "In transit",
    "state.posted": "Posted",
    "state.reversed": "Reversed",
}

# Audit trail actions, by the code each event stores.
ACTIONS: dict[str, str] = {
    "catalog.initialize": "Initialise base data",
    "document.create": "Create document",
    "document.post": "Post",
    "document.receive": "Receive from transit",
    "document.reverse": "Reverse (red-letter)",
    "document.ship": "Ship into transit",
    "item.add": "Add item",
    "item.add_barcode": "Add barcode",
    "item.set_unit": "Set unit conversion",
    "location.add": "Add location",
    "unit.add": "Add unit",
    "warehouse.add": "Add warehouse",
    "warehouse.set_negative_stock": "Change negative-stock setting",
    "user.add": "Add user",
    "user.grant": "Grant role",
    "user.revoke": "Revoke role",
    "user.set_password": "Set password",
    "user.set_active": "Enable or disable user",
    "user.login": "Sign in",
    "user.login_failed": "Failed sign-in",
    "user.login_locked": "Sign-in while locked",
    "user.logout": "Sign out",
    "period.close": "Close period",
    "period.reopen": "Reopen period",
}

# What a permission lets one do, as the auth.forbidden messages put it.
PERMISSIONS: dict[str, str] = {
    "permission.document.create": "create",
    "permission.document.post": "post",
    "permission.document.receive": "receive",
    "permission.document.reverse": "reverse (red-letter)",
    "permission.catalog.manage": "manage items and units",
    "permission.warehouse.manage": "manage warehouses and locations",
    "permission.user.manage": "manage users",
    "permission.period.close": "close periods",
    "permission.period.reopen": "reopen periods",
    "permission.audit.read": "read the audit log and the users",
    "role.admin": "Admin",
    "role.purchaser": "Purchaser",
    "role.sales": "Sales",
    "role.warehouse_clerk": "Warehouse clerk",
    "role.warehouse_manager": "Warehouse manager",
    "role.finance": "Finance",
    "role.auditor": "Auditor",
}

MESSAGES: dict[str, str] = {**ERRORS, **LABELS, **ACTIONS, **PERMISSIONS}
LOCALES = ("zh_CN", "en")


@cache
def catalogue(locale: str) -> dict[str, str]:
    """Msgid → translation for ``locale`` (empty for English, the source language)."""
    path = resources.files("jxc.i18n") / "locale" / locale / "LC_MESSAGES" / "jxc.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale=locale)
    return {str(message.id): str(message.string) for message in po if message.id and message.string}


# Parameters whose values are names from a vocabulary, shown in the user's language.
_VOCABULARIES = {
    "action": "permission.",
    "role": "role.",
    "roles": "role.",
    "state": "state.",
    "document_type": "document_type.",
    "field": "fieldname.",
    "column": "column.",
    "expected": "column.",
}


def translate(code: str, locale: str, **params: Any) -> str:
    """The message for ``code`` in ``locale`` with ``params`` filled in."""
    template = MESSAGES.get(code)
    if template is None:
        return code + (f" {params}" if params else "")
    text = catalogue(locale).get(template, template)
    for name, prefix in _VOCABULARIES.items():
        value = params.get(name)
        if isinstance(value, str) and prefix + value in MESSAGES:
            params[name] = translate(prefix + value, locale)
        elif isinstance(value, list | tuple):
            params[name] = ("、" if locale.startswith("zh") else ", ").join(
                translate(prefix + v, locale) if prefix + v in MESSAGES else str(v) for v in value
            )
    try:
        return text.format(**params)
    except (KeyError, IndexError):
        return text
