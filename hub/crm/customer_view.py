"""Read side of the customer 360 view."""

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from hub.db.models import Customer, Purchase
from hub.errors import NotFound


def customer_360(session: Session, customer_id: str) -> Customer:
    """The customer with identities, purchases (with items) and touchpoints loaded."""
    stmt = (
        select(Customer)
        .where(Customer.id == customer_id)
        .options(
            selectinload(Customer.identities),
            selectinload(Customer.purchases).selectinload(Purchase.items),
            selectinload(Customer.touchpoints),
        )
    )
    customer = session.scalars(stmt).first()
    if customer is None:
        raise NotFound(f"customer {customer_id}")
    return customer
