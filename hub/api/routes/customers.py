from fastapi import APIRouter

from hub.api.deps import CustomerIdPath, PrincipalDep, SessionDep
from hub.api.schemas import (
    Customer360,
    CustomerProfile,
    IdentityOut,
    ItemOut,
    Problem,
    PurchaseOut,
    TouchpointOut,
)
from hub.crm.customer_view import customer_360
from hub.crm.masking import mask_identifier, mask_name, mask_phone
from hub.db.models import Customer

router = APIRouter(prefix="/customers", tags=["customers"], responses={503: {"model": Problem}})


@router.get("/{customer_id}", response_model=Customer360, responses={404: {"model": Problem}})
def get_customer(
    customer_id: CustomerIdPath, session: SessionDep, _who: PrincipalDep
) -> Customer360:
    """The 360 view: profile, identities (masked), purchases with items, touchpoints."""
    return _to_360(customer_360(session, customer_id))


def _to_360(c: Customer) -> Customer360:
    return Customer360(
        profile=CustomerProfile(
            id=c.id,
            name=c.name,
            display_name=mask_name(c.name),
            phone_masked=mask_phone(c.phone),
            status=c.status,
            home_store_id=c.home_store_id,
            tags=[str(t) for t in c.tags],
            created_at=c.created_at,
            updated_at=c.updated_at,
        ),
        identities=[
            IdentityOut(
                kind=i.kind, value_masked=mask_identifier(i.kind, i.value), since=i.created_at
            )
            for i in c.identities
        ],
        purchases=[
            PurchaseOut(
                receipt_no=p.receipt_no,
                at=p.at,
                store_id=p.store_id,
                total=p.total,
                currency=p.currency,
                staff_id=p.staff_id,
                items=[
                    ItemOut(sku=i.sku, name=i.name, qty=i.qty, unit_price=i.unit_price)
                    for i in p.items
                ],
            )
            for p in c.purchases
        ],
        touchpoints=[
            TouchpointOut(
                kind=t.kind,
                channel=t.channel,
                at=t.at,
                store_id=t.store_id,
                staff_id=t.staff_id,
                detail=t.detail,
            )
            for t in c.touchpoints
        ],
    )
