"""The tenant's settings (docs/security.md, "Organisation"): read by admins and managers,
changed by admins."""

from fastapi import APIRouter
from pydantic import BaseModel, Field

from hub.api.deps import ScopeDep, SessionDep, WriteSessionDep
from hub.api.routes.org_params import WRITE_ERRORS
from hub.api.schemas import Problem
from hub.auth.scope import Role
from hub.crm.org import tenant
from hub.crm.org.scoping import require
from hub.crm.org.tenant import RULE_HELP, TenantChanges
from hub.crm.ownership import OwnershipRule
from hub.db.models import Tenant

router = APIRouter(prefix="/tenant", tags=["organisation"], responses={503: {"model": Problem}})
READERS = frozenset({Role.ADMIN, Role.REGIONAL_MANAGER, Role.STORE_MANAGER})


class TenantOut(BaseModel):
    id: str
    name: str
    ownership_rule: OwnershipRule = Field(description=RULE_HELP)

    @classmethod
    def of(cls, t: Tenant) -> "TenantOut":
        return cls(id=t.id, name=t.name, ownership_rule=t.ownership_rule)


@router.get("", response_model=TenantOut, responses={403: {"model": Problem}})
def get_tenant(session: SessionDep, scope: ScopeDep) -> TenantOut:
    """Admins and managers."""
    require(scope.role in READERS, "your role does not read the tenant's settings")
    return TenantOut.of(tenant.get_tenant(session=session, scope=scope))


@router.patch("", response_model=TenantOut, responses=WRITE_ERRORS)
def update_tenant(changes: TenantChanges, session: WriteSessionDep, scope: ScopeDep) -> TenantOut:
    """Admins only. A new ownership rule is audited and sends every store's cache its
    customers' owning stores anew."""
    return TenantOut.of(tenant.update_tenant(session=session, scope=scope, changes=changes))
