"""The flow, visible: each document type's workflow with the live count per state."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path

from jxc.api.deps import ActorDep, AppDep, LocaleDep
from jxc.api.exact import ExactJsonRoute
from jxc.api.schemas import FlowOut, StateCountOut
from jxc.domain.workflow import mermaid
from jxc.i18n.messages import vocabulary
from jxc.services import workflows

router = APIRouter(route_class=ExactJsonRoute, prefix="/sop", tags=["sop"])

DocumentType = Literal["receipt", "issue", "transfer", "reversal", "sales_order", "sales_delivery"]


@router.get(
    "/{document_type}",
    operation_id="sop-read",
    summary="A workflow with the live count per state and its Mermaid flowchart",
)
def read_flow(
    app: AppDep,
    actor: ActorDep,
    locale: LocaleDep,
    document_type: Annotated[DocumentType, Path()],
) -> FlowOut:
    workflow, counts = workflows.flow(app.uow(), actor, document_type)

    return FlowOut(
        document_type=document_type,
        name=workflow.name,
        digest=workflow.digest,
        states=[
            StateCountOut(
                state=name,
                count=counts.get(name, 0),
                sla_hours=int(state.sla.total_seconds() // 3600) if state.sla else None,
                initial=state.initial,
                final=state.final,
            )
            for name, state in workflow.states.items()
        ],
        mermaid=mermaid(workflow, counts, lambda prefix, name: vocabulary(prefix, name, locale)),
    )
