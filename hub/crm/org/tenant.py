"""The tenant's own settings: today, which store a customer belongs to (hub/crm/ownership.py).
Admins change them; a change is audited and sends every store's cache the customers'
owning stores anew (hub/crm/customer_changes.py)."""

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from hub.auth import audit
from hub.auth.scope import Role, Scope
from hub.crm.customer_changes import mark_tenant
from hub.crm.org.scoping import require
from hub.crm.ownership import OwnershipRule
from hub.db.models import Tenant
from hub.errors import NotFound

RULE_HELP = (
    "which store a customer belongs to: home_store (where enrolled or first seen), "
    "most_visits_90d (the store visited most in 90 days), area (the store whose area holds "
    "where they live); each falls back to the home store"
)


class TenantChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ownership_rule: OwnershipRule = Field(description=RULE_HELP)


def get_tenant(*, session: Session, scope: Scope) -> Tenant:
    tenant = session.get(Tenant, scope.tenant_id)
    if tenant is None:
        raise NotFound("no such tenant")
    return tenant


def update_tenant(*, session: Session, scope: Scope, changes: TenantChanges) -> Tenant:
    require(scope.role is Role.ADMIN, "only admins change the tenant's settings")
    tenant = get_tenant(session=session, scope=scope)
    before = tenant.ownership_rule
    if changes.ownership_rule == before:
        return tenant
    tenant.ownership_rule = changes.ownership_rule
    session.flush()
    audit.record(
        session,
        scope,
        "update",
        "tenant",
        tenant.id,
        before={"ownership_rule": before},
        after={"ownership_rule": tenant.ownership_rule},
    )
    mark_tenant(session, tenant.id, datetime.now(UTC))
    return tenant
