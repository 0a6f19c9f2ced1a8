"""The household block of a prompt (wire `CachedHousehold`, sent by the hub already
masked): the other members with their relation, who bought for whom (家属代购), the
decision-maker and the family's masked phone, in the store's locale. The page lists the
other members under the 家属代购 tick so the clerk can say whom it was for."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from edge.store_locale import StoreLocale
from wire.messages import CachedHousehold

Text = Annotated[str, Field(max_length=200)]


class FamilyMember(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    customer_id: Text
    label: Text = Field(description="'吴*（父母）': masked name and relation")


class ShownHousehold(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    members: list[FamilyMember] = Field(description="the others, a 家属代购 can be for")
    lines: list[Text] = Field(description="who bought for whom, decision-maker, phone")


def shown_household(
    household: CachedHousehold | None, customer_id: str, store_locale: StoreLocale
) -> ShownHousehold | None:
    """The block for `customer_id`'s prompt, or None when they are in no household."""
    if household is None:
        return None
    text = store_locale.text
    names = {m.customer_id: m.display_name for m in household.members}
    relations = {m.customer_id: text(f"relation.{m.relation}") for m in household.members}
    others = [
        FamilyMember(
            customer_id=m.customer_id,
            label=text(
                "prompt.household.member", name=m.display_name, relation=relations[m.customer_id]
            ),
        )
        for m in household.members
        if m.customer_id != customer_id
    ]
    lines = []
    for flow in household.bought_for:
        if flow.buyer_id not in names or flow.for_id not in names:
            continue
        values = {
            "name": names[flow.for_id],
            "relation": relations[flow.for_id],
            "count": str(flow.count),
        }
        if flow.buyer_id == customer_id:
            lines.append(text("prompt.household.bought_for", **values))
        elif flow.for_id == customer_id:
            lines.append(
                text(
                    "prompt.household.bought_for_them",
                    buyer=names[flow.buyer_id],
                    count=str(flow.count),
                )
            )
        else:
            lines.append(text("prompt.household.bought_by", buyer=names[flow.buyer_id], **values))
    decider = household.decision_maker_id
    if decider in names:
        key = (
            "prompt.household.decides_self"
            if decider == customer_id
            else "prompt.household.decides"
        )
        lines.append(text(key, name=names[decider or ""]))
    if household.family_phone:
        lines.append(text("prompt.household.phone", phone=household.family_phone))
    return ShownHousehold(members=others, lines=lines)
