"""A small hand-built organisation for the customer list tests (two tenants):

tenant t-lists: regions r-n (stores s-a, s-b) and r-s (store s-c)
  c01 张伟      home s-a, tags 会员, custom grade=gold size=12, visit s-a 11-01,
                leads 80 and 40 (s-a)
  c02 张伟      home s-a, phone +8613812340002 (its hash)
  c03 张伟明    home s-b, custom interests=[跑步, 瑜伽], checkout s-b 10-01, lead 55 (s-b)
  c04 李伟      home s-c, owner stf-b, visit s-a 09-01, a `lead` touchpoint s-c 11-20
  c05 张三丰    home s-c
  c06 Wang Fang home s-a, tags 高血压 (health)
  c07 (no name) no home, provisional, visit s-b 11-15
  c08 王芳      home s-c, lead 90 (s-c)
tenant t-other: 25 customers all named 同名 and 5 named 同名二 (ties on the sort key).
"""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Role, Scope
from hub.db.models import (
    Customer,
    CustomField,
    Identity,
    Lead,
    Region,
    Staff,
    Store,
    Tenant,
    Touchpoint,
)
from tests.hub.conftest import TENANT_KEY
from wire.identity import IdentifierKind, keyed_hash

T, OTHER = "t-lists", "t-other"
NOW = datetime(2026, 12, 1, tzinfo=UTC)
PHONE_C02 = "+8613812340002"
ADMIN = Scope(T, Role.ADMIN, "test")
MANAGER_A = Scope(T, Role.STORE_MANAGER, "test", "mgr-a", frozenset({"r-n"}), frozenset({"s-a"}))
CLERK_B = Scope(T, Role.STAFF, "test", "stf-b", frozenset({"r-n"}), frozenset({"s-b"}))
REGIONAL_S = Scope(
    T, Role.REGIONAL_MANAGER, "test", "reg-s", frozenset({"r-s"}), frozenset({"s-c"})
)
OTHER_ADMIN = Scope(OTHER, Role.ADMIN, "test")

CUSTOMERS: list[tuple[str, str, str | None, str | None, list[str], dict[str, Any]]] = [
    ("c01", "张伟", "s-a", None, ["会员"], {"grade": "gold", "size": 12}),
    ("c02", "张伟", "s-a", None, [], {}),
    ("c03", "张伟明", "s-b", None, [], {"interests": ["跑步", "瑜伽"]}),
    ("c04", "李伟", "s-c", "stf-b", [], {}),
    ("c05", "张三丰", "s-c", None, [], {}),
    ("c06", "Wang Fang", "s-a", None, ["高血压"], {}),
    ("c07", "", None, None, [], {}),
    ("c08", "王芳", "s-c", None, [], {}),
]
TOUCHPOINTS = [  # customer, store, kind, month, day
    ("c01", "s-a", "visit", 11, 1),
    ("c03", "s-b", "checkout", 10, 1),
    ("c04", "s-a", "visit", 9, 1),
    ("c04", "s-c", "lead", 11, 20),
    ("c07", "s-b", "visit", 11, 15),
]
LEADS = [("c01", "s-a", 80), ("c01", "s-a", 40), ("c03", "s-b", 55), ("c08", "s-c", 90)]
FIELDS = [
    ("grade", "choice", ["gold", "silver"]),
    ("size", "number", []),
    ("interests", "multi_choice", ["跑步", "瑜伽", "太极"]),
    ("since", "date", []),
]


def _org(session: Session) -> None:
    for tenant in (T, OTHER):
        session.add(Tenant(id=tenant, name=tenant, created_at=NOW))
    session.flush()
    session.add_all([Region(id=r, tenant_id=T, name=r) for r in ("r-n", "r-s")])
    session.add(Region(id="r-o", tenant_id=OTHER, name="o"))
    session.flush()
    stores = [("s-a", "r-n", T), ("s-b", "r-n", T), ("s-c", "r-s", T), ("s-o", "r-o", OTHER)]
    session.add_all([Store(id=s, tenant_id=t, region_id=r, name=s) for s, r, t in stores])
    session.flush()
    session.add(
        Staff(id="stf-b", tenant_id=T, code="B", name="b", role="staff", home_store_id="s-b",
              created_at=NOW, updated_at=NOW)
    )  # fmt: skip
    session.flush()
    session.add_all(
        CustomField(id=f"cf-{n}", tenant_id=T, entity="customer", name=n, label_zh_cn=n,
                    label_en=n, type=kind, choices=choices, required=False, created_at=NOW)
        for n, kind, choices in FIELDS
    )  # fmt: skip


def _customer(cid: str, tenant: str, name: str, home: str | None, **more: Any) -> Customer:
    status = "member" if name else "provisional"
    return Customer(id=cid, tenant_id=tenant, name=name, home_store_id=home, status=status,
                    created_at=NOW, updated_at=NOW, **more)  # fmt: skip


def build(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as session:
        _org(session)
        for cid, name, home, owner, tags, custom in CUSTOMERS:
            session.add(
                _customer(cid, T, name, home, owner_staff_id=owner, tags=tags, custom=custom)
            )
        for n in range(30):
            name = "同名" if n < 25 else "同名二"
            session.add(_customer(f"o{(n * 7) % 30:02d}", OTHER, name, "s-o"))
        session.flush()
        digest = keyed_hash(TENANT_KEY, IdentifierKind.PHONE_HASH, PHONE_C02)
        session.add(Identity(tenant_id=T, customer_id="c02", kind=IdentifierKind.PHONE_HASH.value,
                             value=digest, created_at=NOW))  # fmt: skip
        for cid, store, kind, month, day in TOUCHPOINTS:
            at = datetime(2026, month, day, 10, tzinfo=UTC)
            session.add(Touchpoint(tenant_id=T, customer_id=cid, store_id=store, kind=kind,
                                   channel="nfc", at=at))  # fmt: skip
        for n, (cid, store, score) in enumerate(LEADS):
            session.add(Lead(id=f"lead-{n}", tenant_id=T, source="web_form", source_id=str(n),
                             customer_id=cid, store_id=store, score=score, scored_at=NOW,
                             captured_at=NOW, created_at=NOW))  # fmt: skip
