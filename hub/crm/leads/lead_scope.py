"""Which leads a scope reaches, in SQL: admins and API keys every lead of the tenant; the
other roles the leads of their stores and those they own. A lead with no store is the
tenant's, seen by admins (and keys) until someone gives it one."""

from sqlalchemy import ColumnElement, and_, false, or_

from hub.auth.scope import Scope
from hub.db.models import Lead


def lead_in_scope(scope: Scope) -> ColumnElement[bool]:
    tenant = Lead.tenant_id == scope.tenant_id
    if scope.store_ids is None:
        return tenant
    owned = Lead.owner_staff_id == scope.staff_id if scope.staff_id else false()
    return and_(tenant, or_(scope.store_filter(Lead.store_id), owned))
