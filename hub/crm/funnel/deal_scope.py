"""Which deals a scope reaches, in SQL: a deal is seen by whoever sees its customer
(hub/crm/customer_scope.py: admins every one of the tenant, managers their stores'
customers, staff their store's and their own), and by its owner wherever the customer
shops."""

from sqlalchemy import ColumnElement, and_, false, or_, select

from hub.auth.scope import Scope
from hub.crm.customer_scope import customer_in_scope
from hub.db.models import Customer, Deal


def deal_in_scope(scope: Scope) -> ColumnElement[bool]:
    tenant = Deal.tenant_id == scope.tenant_id
    if scope.store_ids is None:
        return tenant
    customers = select(Customer.id).where(customer_in_scope(scope))
    owned = Deal.owner_staff_id == scope.staff_id if scope.staff_id else false()
    return and_(tenant, or_(Deal.customer_id.in_(customers), owned))
