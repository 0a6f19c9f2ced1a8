"""Demo data into an empty (or already seeded) database. Running it twice changes nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.org.fields import Coordinates
from hub.crm.org.inputs import RegionDraft, StaffDraft, StoreDraft
from hub.crm.org.places import apply_place
from hub.crm.org.staff import staff_row
from hub.db.models import (
    Customer,
    Gateway,
    Household,
    HouseholdMember,
    Identity,
    Offer,
    Purchase,
    PurchaseItem,
    Region,
    Staff,
    Store,
    Tenant,
    Touchpoint,
)
from hub.demo import data as demo
from hub.demo.activities import seed_activities
from hub.demo.deals import seed_deals
from hub.gateways import registry
from wire.identity import IdentifierKind, keyed_hash

R = TypeVar("R", Region, Store)


@dataclass(frozen=True)
class SeedResult:
    tenant_id: str
    store_ids: list[str]
    gateway_ids: list[str]
    customers_created: int


def seed_demo(
    session_factory: sessionmaker[Session], tenant_key: bytes, now: datetime | None = None
) -> SeedResult:
    now = now or datetime.now(UTC)
    with session_factory.begin() as session:
        _org(session, now)
        _offers(session, now)
        created = sum(
            _customer(session, tenant_key, i, c, now) for i, c in enumerate(demo.CUSTOMERS)
        )
        seed_deals(session, demo.TENANT[0], now)
        session.flush()
        seed_activities(session, now)
        _households(session, now)
    return SeedResult(
        tenant_id=demo.TENANT[0],
        store_ids=[s.id for s in demo.STORES],
        gateway_ids=[g[0] for g in demo.GATEWAYS],
        customers_created=created,
    )


SELLER = ("S01", "stf-demo-sm-xuhui")  # who rang up the seeded purchases: code, staff id
STORE_REGION = {s.id: s.region for s in demo.STORES}


def _org(session: Session, now: datetime) -> None:
    """The tenant, its regions, stores and staff, each only if it is not there. The data
    passes the organisation's input models (the checks the API and CLI make); it is
    written directly, not through the audited functions: demo data is nobody's change."""
    tenant_id, tenant_name = demo.TENANT
    if session.get(Tenant, tenant_id) is None:
        session.add(Tenant(id=tenant_id, name=tenant_name, created_at=now))
    for region_id, name, address, (lat, lon) in demo.REGIONS:
        if session.get(Region, region_id) is None:
            point = Coordinates(latitude=lat, longitude=lon)
            draft = RegionDraft(id=region_id, name=name, address=address, coordinates=point)
            session.add(_placed(Region(id=region_id, tenant_id=tenant_id), draft))
    for s in demo.STORES:
        if session.get(Store, s.id) is None:
            session.add(_placed(Store(id=s.id, tenant_id=tenant_id), _store(s)))
    for p in demo.STAFF:
        if session.get(Staff, p.id) is None:
            session.add(_person(p, now))
    session.flush()
    for gateway_id, store_id in demo.GATEWAYS:
        if session.get(Gateway, gateway_id) is None:
            registry.register_gateway(session, gateway_id, store_id, now)


def _offers(session: Session, now: datetime) -> None:
    for offer_id, text, tags in demo.OFFERS:
        if session.get(Offer, offer_id) is None:
            session.add(
                Offer(
                    id=offer_id,
                    tenant_id=demo.TENANT[0],
                    text=text,
                    tags=list(tags),
                    starts_at=now,
                    created_at=now,
                )
            )


def _households(session: Session, now: datetime) -> None:
    """The demo's families, once; the 家属代购 of FAMILY_PURCHASES marked on the purchases."""
    for household_id, members in demo.HOUSEHOLDS:
        if session.get(Household, household_id) is not None:
            continue
        session.add(Household(id=household_id, tenant_id=demo.TENANT[0], created_at=now))
        session.flush()
        for customer_id, relation in members:
            session.add(
                HouseholdMember(
                    customer_id=customer_id, tenant_id=demo.TENANT[0],
                    household_id=household_id, relation=relation, joined_at=now,
                )
            )  # fmt: skip
        session.flush()
        for buyer, receipt, for_id in demo.FAMILY_PURCHASES:
            session.execute(
                update(Purchase)
                .where(Purchase.customer_id == buyer, Purchase.receipt_no == receipt)
                .values(for_customer_id=for_id)
            )


def _placed(record: R, draft: RegionDraft | StoreDraft) -> R:
    apply_place(record, {k: v for k, v in dict(draft).items() if k != "id"})
    return record


def _store(s: demo.DemoStore) -> StoreDraft:
    lat, lon = s.at
    return StoreDraft.model_validate(
        {
            "id": s.id,
            "region_id": s.region,
            "name": s.name,
            "city": s.city,
            "address": s.address,
            "coordinates": {"latitude": lat, "longitude": lon},
            "opening_hours": s.hours,
        }
    )


def _person(p: demo.DemoStaff, now: datetime) -> Staff:
    draft = StaffDraft.model_validate(
        {"code": p.code, "name": p.name, "role": p.role, "home_store_id": p.store,
         "region_id": p.region or STORE_REGION.get(p.store or ""), "skills": list(p.skills),
         "phone": p.phone, "email": f"{p.code.lower()}@kangtai.example.com",
         "on_shift": p.store is not None}
    )  # fmt: skip
    return staff_row(demo.TENANT[0], draft, p.id, now, draft.region_id)


def _identities(tenant_key: bytes, c: demo.DemoCustomer) -> list[tuple[IdentifierKind, str]]:
    found = [
        (IdentifierKind.PHONE_HASH, keyed_hash(tenant_key, IdentifierKind.PHONE_HASH, c.phone))
    ]
    if c.card_uid:
        found.append((IdentifierKind.CARD_UID, c.card_uid))
    if c.member_no:
        found.append((IdentifierKind.MEMBER_NO, c.member_no))
    if c.id_number:
        found.append(
            (IdentifierKind.ID_HASH, keyed_hash(tenant_key, IdentifierKind.ID_HASH, c.id_number))
        )
    return found


def _customer(
    session: Session, tenant_key: bytes, index: int, c: demo.DemoCustomer, now: datetime
) -> bool:
    if session.get(Customer, c.id) is not None:
        return False
    tenant_id = demo.TENANT[0]
    store_id = demo.STORES[c.store].id
    since = now - timedelta(days=400 - index)
    session.add(
        Customer(
            id=c.id,
            tenant_id=tenant_id,
            name=c.name,
            phone=c.phone,
            home_store_id=store_id,
            status="member",
            tags=list(c.tags),
            created_at=since,
            updated_at=now,
        )
    )
    for kind, value in _identities(tenant_key, c):
        session.add(
            Identity(
                tenant_id=tenant_id,
                customer_id=c.id,
                kind=kind.value,
                value=value,
                created_at=since,
            )
        )
    session.flush()
    for k in range(2 + index % 4):
        _purchase(session, index, k, c, store_id, now - timedelta(days=9 * k + index + 1, hours=k))
    return True


def _purchase(
    session: Session, index: int, k: int, c: demo.DemoCustomer, store_id: str, at: datetime
) -> None:
    picks = [demo.PRODUCTS[(index + k + j * 3) % len(demo.PRODUCTS)] for j in range(1 + k % 3)]
    items = [
        PurchaseItem(
            tenant_id=demo.TENANT[0], sku=sku, name=name, qty=1 + (index + j) % 2, unit_price=price
        )
        for j, (sku, name, price) in enumerate(picks)
    ]
    receipt = f"{store_id[-5:].upper()}-{index + 1:02d}{k + 1:02d}"
    session.add(
        Purchase(
            tenant_id=demo.TENANT[0],
            customer_id=c.id,
            store_id=store_id,
            receipt_no=receipt,
            at=at,
            total=sum(i.qty * i.unit_price for i in items),
            currency="CNY",
            staff_id=SELLER[0],
            staff_ref=SELLER[1],
            terminal="POS-1",
            items=items,
        )
    )
    session.add(
        Touchpoint(
            tenant_id=demo.TENANT[0],
            customer_id=c.id,
            store_id=store_id,
            kind="checkout",
            channel="pos",
            at=at,
            staff_id=SELLER[0],
            staff_ref=SELLER[1],
            detail=receipt,
        )
    )


def register_gateway(
    session_factory: sessionmaker[Session],
    gateway_id: str,
    store_id: str,
    now: datetime | None = None,
) -> None:
    """Register a gateway for a store (or re-activate a revoked one). NotFound if no store."""
    with session_factory.begin() as session:
        registry.register_gateway(session, gateway_id, store_id, now or datetime.now(UTC))


def revoke_gateway(
    session_factory: sessionmaker[Session], gateway_id: str, now: datetime | None = None
) -> None:
    """Revoke a gateway: its batches and status messages are dead-lettered from now on."""
    with session_factory.begin() as session:
        registry.revoke_gateway(session, gateway_id, now or datetime.now(UTC))
