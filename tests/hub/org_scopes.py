"""Scopes of the seeded demo organisation's people, for the organisation tests."""

from hub.auth.scope import Role, Scope

TENANT = "tenant-demo"
ADMIN = Scope(TENANT, Role.ADMIN, "staff:stf-demo-admin", staff_id="stf-demo-admin")
RM_SH = Scope(
    TENANT,
    Role.REGIONAL_MANAGER,
    "staff:stf-demo-rm-sh",
    staff_id="stf-demo-rm-sh",
    region_ids=frozenset({"region-sh"}),
)
SM_XUHUI = Scope(
    TENANT,
    Role.STORE_MANAGER,
    "staff:stf-demo-sm-xuhui",
    staff_id="stf-demo-sm-xuhui",
    store_ids=frozenset({"store-sh-xuhui"}),
)
STAFF_XUHUI = Scope(
    TENANT,
    Role.STAFF,
    "staff:stf-demo-xuhui-1",
    staff_id="stf-demo-xuhui-1",
    store_ids=frozenset({"store-sh-xuhui"}),
)
ENGINEER = Scope(TENANT, Role.FIELD_ENGINEER, "staff:stf-demo-fe-1", staff_id="stf-demo-fe-1")
STRANGER = Scope("tenant-other", Role.ADMIN, "staff:nobody")
