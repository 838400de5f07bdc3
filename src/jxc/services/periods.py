"""Period close (结账) and reopening (反结账).

Closing a month stores its balance snapshot and from then on refuses every posting dated
inside it (``posting.write_posting`` checks); months close in order once they have
ended. Only an admin reopens, only the latest closed month, and only with a reason; both
steps go on the audit trail.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from jxc.db.uow import UnitOfWork
from jxc.domain.audit import AuditEntry
from jxc.domain.auth import Action
from jxc.domain.periods import Period, check_can_close, check_can_reopen
from jxc.services.auth import require
from jxc.services.base import remember, replay, transactional


@dataclass(frozen=True)
class Closed:
    period: str
    balances: int  # rows in its snapshot


@transactional
def close(uow: UnitOfWork, actor: str, period: str, request_id: str | None = None) -> Closed:
    """Close a month: no posting, reversal or receipt may be dated inside it any more.

    Raises:
        Forbidden: auth.forbidden (period.close: finance or admin).
        Invalid: period.invalid, period.not_ended.
        Conflict: period.already_closed, period.close_out_of_order.
    """
    require(uow, actor, Action.PERIOD_CLOSE)
    month = Period.parse(period)
    seen = replay(uow, actor, request_id, "periods.close", str(month))
    if seen is not None:
        return Closed(seen["period"], seen["balances"])
    latest = uow.periods.latest_closed()
    first_posted = uow.periods.first_posted() if latest is None else None
    check_can_close(month, latest, uow.today(), first_posted)
    balances = uow.periods.close(month, actor, uow.clock())
    uow.record(AuditEntry(actor, "period.close", "period", str(month), {"balances": balances}))
    closed = Closed(str(month), balances)
    remember(uow, actor, request_id, "periods.close", str(month), asdict(closed))
    uow.commit()
    return closed


@transactional
def reopen(
    uow: UnitOfWork, actor: str, period: str, reason: str, request_id: str | None = None
) -> None:
    """Reopen the latest closed month (反结账), saying why.

    Raises:
        Forbidden: auth.forbidden (period.reopen: admin).
        Invalid: period.invalid, period.reason_required.
        Conflict: period.not_closed, period.reopen_not_latest.
    """
    require(uow, actor, Action.PERIOD_REOPEN)
    month = Period.parse(period)
    payload = {"period": str(month), "reason": reason.strip()}
    if replay(uow, actor, request_id, "periods.reopen", payload) is not None:
        return
    check_can_reopen(month, uow.periods.latest_closed(), reason)
    uow.periods.reopen(month, actor, uow.clock(), reason.strip())
    uow.record(AuditEntry(actor, "period.reopen", "period", str(month), {"reason": reason.strip()}))
    remember(uow, actor, request_id, "periods.reopen", payload, {})
    uow.commit()
