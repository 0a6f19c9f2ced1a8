"""API schemas of the customer list (GET /customers): its query parameters and its page."""

from datetime import datetime
from typing import Annotated, Literal

from fastapi import Query
from pydantic import BaseModel, ConfigDict, StringConstraints

from hub.crm.lists.cursor import MAX_CURSOR
from hub.crm.lists.customer_list import MAX_LIMIT
from hub.crm.org.fields import PRINTABLE

# hub.crm.lists.stages.STAGES: the funnel adds its deal stages to both.
Stage = Literal["lead"]

Id = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]
Score = Annotated[int | None, Query(ge=0, le=100, description="best open lead score bound")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="customers per page")]
After = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_CURSOR,
        pattern=r"^[A-Za-z0-9_-]+$",
        description="The `next` of the previous page (opaque)",
    ),
]
Tag = Annotated[str | None, Query(min_length=1, max_length=100, pattern=PRINTABLE)]
Name = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        pattern=PRINTABLE,
        description="names starting with this, case-folded: 张 finds 张伟 and 张伟明, not 李伟",
        examples=["王"],
    ),
]
Phone = Annotated[
    str | None,
    Query(
        min_length=3,
        max_length=32,
        pattern=r"^[0-9+()\- ]+$",
        description="an exact phone number in any common format (matched by its keyed hash)",
    ),
]
CustomItem = Annotated[
    str, StringConstraints(max_length=200, pattern=r"^[a-z][a-z0-9_]{0,47}:[^\x00-\x1f\x7f]+$")
]
Custom = Annotated[
    list[CustomItem] | None,
    Query(
        max_length=20,
        description="`name:value` of a custom field; repeat for several (all must hold)",
    ),
]


class ListedCustomerOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    phone: str | None
    status: str
    home_store_id: str | None
    owner_staff_id: str | None
    tags: list[str]
    score: int | None
    last_visit_at: datetime | None


class CustomerListPage(BaseModel):
    customers: list[ListedCustomerOut]
    next: str | None
