"""The company's settings, which every process reads from the database.

The time zone decides the business day: the default date of a document, its number,
"today" in reports. Kept in the environment of each process, a web server and a
script could disagree on the day; kept here, they cannot.
"""

from __future__ import annotations

from datetime import tzinfo

from jxc.db.repositories.company import TIMEZONE
from jxc.db.uow import UnitOfWork
from jxc.domain.audit import SYSTEM_ACTOR, AuditEntry
from jxc.domain.auth import Action
from jxc.domain.errors import Invalid
from jxc.domain.periods import zone_name, zone_named
from jxc.services.auth import require
from jxc.services.base import remember, replay, transactional


@transactional
def keep_zone(uow: UnitOfWork, zone: tzinfo) -> str | None:
    """Keep ``zone`` as the company's time zone unless it has one.

    Returns its name if it was kept now (the first time, on the audit trail), else None.
    """
    if uow.company.get(TIMEZONE) is not None:
        return None
    kept = zone_name(zone)
    _keep(uow, SYSTEM_ACTOR, None, kept)
    uow.commit()
    return kept


@transactional
def set_timezone(uow: UnitOfWork, actor: str, name: str, request_id: str | None = None) -> str:
    """Change the company's time zone (admin only); return its name as kept.

    Documents keep their business dates; from now on "today", new numbers and the times
    shown follow the new zone, in every program at its next transaction.

    Raises:
        Forbidden: auth.forbidden (company.manage).
        Invalid: company.timezone_unknown.
    """
    require(uow, actor, Action.COMPANY_MANAGE)
    try:
        wanted = zone_name(zone_named(name.strip()))
    except ValueError:
        raise Invalid("company.timezone_unknown", {"zone": name}) from None
    if replay(uow, actor, request_id, "company.set_timezone", wanted) is not None:
        return wanted
    before = uow.company.get(TIMEZONE)
    if wanted != before:
        _keep(uow, actor, before, wanted)
    remember(uow, actor, request_id, "company.set_timezone", wanted, {})
    uow.commit()
    return wanted


def _keep(uow: UnitOfWork, actor: str, before: str | None, zone: str) -> None:
    """Keep ``zone`` as the company's, on the audit trail as a change from ``before``."""
    uow.company.put(TIMEZONE, zone, actor, uow.clock())
    change = {"from": before, "to": zone}
    uow.record(AuditEntry(actor, "company.set_timezone", "company", TIMEZONE, change))
