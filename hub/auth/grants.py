"""Grants: what a caller may do, route by route (`require_grant` in hub/api/security.py).

A staff member's grants follow from their role; an API key has exactly the grants it was
created with and no role, so it never reaches customer data it was not granted.
"""

from enum import StrEnum

from hub.auth.scope import Role, Scope


class Grant(StrEnum):
    CUSTOMERS_READ = "customers:read"  # customers, their purchases and touchpoints
    CUSTOMERS_WRITE = "customers:write"  # change customers
    LEADS_WRITE = "leads:write"  # add leads (e.g. a web form)
    STORES_READ = "stores:read"
    GATEWAYS_READ = "gateways:read"  # gateways and their health


CUSTOMERS_READ = Grant.CUSTOMERS_READ.value
CUSTOMERS_WRITE = Grant.CUSTOMERS_WRITE.value
LEADS_WRITE = Grant.LEADS_WRITE.value
STORES_READ = Grant.STORES_READ.value
GATEWAYS_READ = Grant.GATEWAYS_READ.value
GRANTS = frozenset(g.value for g in Grant)

_ORG_GRANTS = frozenset({STORES_READ, GATEWAYS_READ})
_CUSTOMER_GRANTS = frozenset({CUSTOMERS_READ, CUSTOMERS_WRITE, LEADS_WRITE})

ROLE_GRANTS: dict[Role, frozenset[str]] = {
    Role.ADMIN: frozenset(GRANTS),
    Role.REGIONAL_MANAGER: _ORG_GRANTS | _CUSTOMER_GRANTS,
    Role.STORE_MANAGER: _ORG_GRANTS | _CUSTOMER_GRANTS,
    Role.STAFF: _ORG_GRANTS | _CUSTOMER_GRANTS,
    Role.FIELD_ENGINEER: _ORG_GRANTS,  # gateways and stores, never customer data
    Role.INTEGRATION: frozenset(),  # an API key: its own grants only
}


def unknown_grants(grants: set[str] | frozenset[str]) -> list[str]:
    return sorted(g for g in grants if g not in GRANTS)


def allows(scope: Scope, grant: str) -> bool:
    if scope.role is Role.INTEGRATION:
        return grant in scope.api_scopes
    return grant in ROLE_GRANTS[scope.role]
