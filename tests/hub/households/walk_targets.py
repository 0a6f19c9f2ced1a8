"""What the write route walk (tests/hub/test_route_walk_writes.py) changes of households,
per role: a household in Xuhui (every scoped caller's) and one in Hangzhou (nobody's but
the admin's), each with a head, a member to remove and one a purchase was bought for, and
customers of each side not yet in a household (one to found a household, one to add)."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Customer, Household, HouseholdMember, Purchase

SIDES = {"i": "store-sh-xuhui", "o": "store-hz-xihu"}


@dataclass(frozen=True)
class Side:
    household: str
    founder: str  # not in a household: POST /households
    newcomer: str  # not in a household: POST .../members
    leaver: str  # a member: DELETE .../members/{leaver}
    purchase: int  # the head's: PATCH /purchases/{purchase} for `bought_for`
    bought_for: str


def household_targets(sessions: sessionmaker[Session], tag: str) -> dict[bool, Side]:
    """inside (True) and outside (False) -> the records of role `tag`."""
    now = datetime.now(UTC)
    found = {}
    with sessions.begin() as session:
        for side, store in SIDES.items():
            ids = {part: f"cus-ww-{tag}-{side}-{part}" for part in ("h", "f", "n", "l", "b")}
            for cid in ids.values():
                session.add(_customer(cid, store, now))
            household = f"hh-ww-{tag}-{side}"
            session.add(Household(id=household, tenant_id="tenant-demo", created_at=now))
            session.flush()
            for part, relation in (("h", "self"), ("l", "child"), ("b", "parent")):
                session.add(_member(ids[part], household, relation, now))
            purchase = Purchase(
                tenant_id="tenant-demo", customer_id=ids["h"], store_id=store,
                receipt_no=f"WW-{tag}-{side}", at=now, total=100, currency="CNY",
            )  # fmt: skip
            session.add(purchase)
            session.flush()
            found[side == "i"] = Side(
                household, ids["f"], ids["n"], ids["l"], purchase.id, ids["b"]
            )
    return found


def household_attempts(side: Side, path: str) -> dict[str, tuple[str, dict[str, object] | None]]:
    """operation -> (path, body) on `side`'s records."""
    hh = f"/households/{side.household}"
    return {
        "POST /households": (
            path,
            {"members": [{"customer_id": side.founder, "relation": "self"}]},
        ),
        "POST /households/{household_id}/members": (
            f"{hh}/members",
            {"customer_id": side.newcomer, "relation": "other"},
        ),
        "DELETE /households/{household_id}/members/{customer_id}": (
            f"{hh}/members/{side.leaver}",
            None,
        ),
        "PATCH /purchases/{purchase_id}": (
            f"/purchases/{side.purchase}",
            {"for_customer_id": side.bought_for},
        ),
    }


def _customer(cid: str, store: str, now: datetime) -> Customer:
    return Customer(
        id=cid, tenant_id="tenant-demo", name="走家", home_store_id=store, tags=[],
        created_at=now, updated_at=now,
    )  # fmt: skip


def _member(cid: str, household: str, relation: str, now: datetime) -> HouseholdMember:
    return HouseholdMember(
        customer_id=cid, tenant_id="tenant-demo", household_id=household, relation=relation,
        joined_at=now,
    )  # fmt: skip
