"""A customer as the caller's role may see them (hub.auth.masking.SHOWN): the one place
that turns CRM rows into what leaves the hub, so no route can forget a mask."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from hub.auth.masking import Shown, mask_identifier, mask_name, mask_phone
from hub.crm.customer_view import CustomerView, Page
from hub.crm.tags import is_health_tag
from hub.db.models import Customer, Identity, Purchase, Touchpoint


@dataclass(frozen=True)
class ShownProfile:
    id: str
    name: str
    phone: str | None
    status: str
    home_store_id: str | None
    owner_staff_id: str | None
    tags: list[str]
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class ShownIdentity:
    kind: str
    value: str  # always masked: the hub's API never gives an identifier back whole
    since: datetime


@dataclass(frozen=True)
class ShownItem:
    sku: str
    name: str
    qty: int
    unit_price: int


@dataclass(frozen=True)
class ShownPurchase:
    receipt_no: str
    at: datetime
    store_id: str
    total: int
    currency: str
    staff_id: str | None
    staff_ref: str | None
    staff_unknown: bool
    items: list[ShownItem] | None  # None: this role is not shown what was bought


@dataclass(frozen=True)
class ShownView:
    profile: ShownProfile
    identities: list[ShownIdentity]
    purchases: Page[ShownPurchase]
    touchpoints: Page[Touchpoint]
    shown: Shown


def show(view: CustomerView) -> ShownView:
    return ShownView(
        profile=profile(view.customer, view.shown),
        identities=[identity(i) for i in view.customer.identities],
        purchases=purchases(view.purchases, view.shown),
        touchpoints=view.touchpoints,
        shown=view.shown,
    )


def masked(c: Customer, shown: Shown) -> dict[str, Any]:
    """A customer's own fields as the role is shown them: the 360's profile and every list
    row are built from this, so a role sees a customer the same way everywhere."""
    return {
        "id": c.id,
        "name": c.name if shown.name == "full" else mask_name(c.name),
        "phone": c.phone if shown.phone == "full" else mask_phone(c.phone),
        "status": c.status,
        "home_store_id": c.home_store_id,
        "owner_staff_id": c.owner_staff_id,
        "tags": [str(t) for t in c.tags if shown.health_tags or not is_health_tag(str(t))],
    }


def profile(c: Customer, shown: Shown) -> ShownProfile:
    return ShownProfile(**masked(c, shown), created_at=c.created_at, updated_at=c.updated_at)


def identity(i: Identity) -> ShownIdentity:
    return ShownIdentity(kind=i.kind, value=mask_identifier(i.kind, i.value), since=i.created_at)


def purchases(page: Page[Purchase], shown: Shown) -> Page[ShownPurchase]:
    return Page([purchase(p, shown) for p in page.rows], page.next_cursor)


def purchase(p: Purchase, shown: Shown) -> ShownPurchase:
    items: Sequence[ShownItem] | None = None
    if shown.items:
        items = [ShownItem(i.sku, i.name, i.qty, i.unit_price) for i in p.items]
    return ShownPurchase(
        receipt_no=p.receipt_no,
        at=p.at,
        store_id=p.store_id,
        total=p.total,
        currency=p.currency,
        staff_id=p.staff_id,
        staff_ref=p.staff_ref,
        staff_unknown=p.staff_unknown,
        items=None if items is None else list(items),
    )
