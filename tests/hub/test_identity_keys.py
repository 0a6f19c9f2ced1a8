"""Identity keys: one person reached by two channels, typed two ways, is one customer."""

import hashlib
import hmac
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.identity_keys import email_key, find_or_create, phone_key, wecom_key
from hub.db.models import PROVISIONAL, Customer, Identity
from hub.demo.seed import SeedResult
from hub.gateways.cache import cached_customers
from tests.hub.conftest import TENANT_KEY

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def test_a_phone_key_is_the_hash_a_gateway_computes_of_its_e164() -> None:
    # wire.identity.keyed_hash's contract, computed by hand: HMAC-SHA256 of "kind:E.164".
    expected = hmac.new(TENANT_KEY, b"phone_hash:+8613812345678", hashlib.sha256).hexdigest()
    for typed in (
        "138 1234 5678",
        "+86 138-1234-5678",
        "0086 13812345678",
        "１３８１２３４５６７８",
    ):
        assert phone_key(TENANT_KEY, typed) == ("phone_hash", expected)


def test_the_same_person_typed_two_ways_is_one_customer(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions.begin() as session:
        tenant = seeded.tenant_id
        first = find_or_create(session, tenant, [phone_key(TENANT_KEY, "139-0000-1111")], NOW)
        second = find_or_create(
            session,
            tenant,
            [email_key("Li.Wei@Example.COM"), phone_key(TENANT_KEY, "+86 13900001111")],
            NOW,
        )
        third = find_or_create(session, tenant, [email_key("li.wei@example.com")], NOW)
    assert first.changed and first.customer_id is not None
    assert second.customer_id == first.customer_id and second.changed  # gained the e-mail
    assert third.customer_id == first.customer_id and not third.changed
    with sessions() as session:
        customer = session.get_one(Customer, first.customer_id)
        assert customer.status == PROVISIONAL and customer.home_store_id is None
        kinds = session.scalars(
            select(Identity.kind).where(Identity.customer_id == first.customer_id)
        ).all()
        assert sorted(kinds) == ["email", "phone_hash"]


def test_hub_only_kinds_never_travel_to_a_gateway(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions.begin() as session:
        tenant = seeded.tenant_id
        made = find_or_create(
            session, tenant, [wecom_key("wmABCDEF"), phone_key(TENANT_KEY, "13700002222")], NOW
        )
    assert made.customer_id is not None
    with sessions() as session:
        [entry] = cached_customers(session, [made.customer_id])
    assert [i.kind.value for i in entry.identifiers] == ["phone_hash"]
