"""A customer's deal stage changes on their timeline (hub/crm/activities/timeline.py): one
registered source, scoped as the deals are (a caller sees the changes of the deals they
see). An opening reads "opened in lead", a move "lead → proposal"; the deal is named by
its title for the roles shown health data, by its id for the others."""

from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.orm import aliased

from hub.auth.masking import Shown
from hub.auth.scope import Scope
from hub.crm.activities.timeline import Row, label, register
from hub.crm.funnel.deal_scope import deal_in_scope
from hub.db.models import Customer, Deal, DealStageChange, PipelineStage

KIND = "deal_stage"


@register(KIND)
def deal_stages(scope: Scope, customer: Customer, shown: Shown) -> Row:
    source, target = aliased(PipelineStage), aliased(PipelineStage)
    step = case(
        (source.key.is_(None), func.concat("opened in ", target.key)),
        else_=func.concat(source.key, " → ", target.key),
    )
    # A deal's title is free text ("血压计 for 王芳"): only roles shown health data read it.
    named = func.coalesce(func.nullif(Deal.title, ""), Deal.id) if shown.health_tags else Deal.id
    return (
        select(
            DealStageChange.at.label("at"),
            label(KIND),
            cast(DealStageChange.id, String).collate("C").label("id"),
            func.concat("商机 ", named, ": ", step).label("title"),
            literal(None, String).label("store_id"),
        )
        .join(Deal, Deal.id == DealStageChange.deal_id)
        .join(target, target.id == DealStageChange.to_stage_id)
        .outerjoin(source, source.id == DealStageChange.from_stage_id)
        .where(Deal.customer_id == customer.id, deal_in_scope(scope))
    )
