"""The caller's scope: which tenant, which role, which regions and stores.

Domain functions take a `Scope` and apply it in SQL (`Scope.store_filter`), so a row out
of scope is never fetched; the API turns "not found in scope" into a 404, exactly as if
the row did not exist. docs/security.md holds the table of what each role sees.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, false, true


class Role(StrEnum):
    ADMIN = "admin"
    REGIONAL_MANAGER = "regional_manager"  # the stores of their regions
    STORE_MANAGER = "store_manager"  # their store
    STAFF = "staff"  # their own customers and their store's
    FIELD_ENGINEER = "field_engineer"  # gateways and stores, never customer data
    INTEGRATION = "integration"  # an API key: only its grants (hub/auth/grants.py)


STAFF_ROLES = frozenset(r for r in Role if r is not Role.INTEGRATION)  # people's roles


@dataclass(frozen=True)
class Scope:
    """What one caller may reach. `store_ids` None means every store of the tenant;
    an empty set means none. Built by hub/auth from a token or an API key, never from
    request input."""

    tenant_id: str
    role: Role
    subject: str  # "staff:<id>" or "key:<id>": who, for the audit log
    staff_id: str | None = None
    region_ids: frozenset[str] | None = None
    store_ids: frozenset[str] | None = None
    api_scopes: frozenset[str] = frozenset()  # an API key's grants, e.g. "leads:write"

    @property
    def sees_customers(self) -> bool:
        if self.role is Role.INTEGRATION:
            return "customers:read" in self.api_scopes
        return self.role is not Role.FIELD_ENGINEER

    @property
    def all_stores(self) -> bool:
        return self.store_ids is None

    def store_filter(self, column: Any) -> ColumnElement[bool]:
        """A WHERE clause limiting `column` (a store id column) to this scope's stores."""
        if self.store_ids is None:
            return true()
        if not self.store_ids:
            return false()
        clause: ColumnElement[bool] = column.in_(sorted(self.store_ids))
        return clause
