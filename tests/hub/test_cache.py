"""Cache deltas and snapshots for a store's gateways."""

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Customer, Identity
from hub.gateways.cache_sync import read_snapshot, stale_store_version
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, checkout, payload, tap
from wire.codec import decode_cache_delta
from wire.identity import Identifier, IdentifierKind
from wire.message_size import DEFAULT_MAX_MESSAGE_BYTES


def test_delta_carries_last_three_purchases_newest_first(
    ingest: IngestService, projector: ConsumerRunner
) -> None:
    now = datetime.now(UTC)
    bodies = [checkout(f"R-C-{n}", member="M1001") for n in range(4)]
    ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", bodies, at=now)), now)
    customers = projector.drain().touched["store-sh-xuhui"]
    assert customers == {"cus-demo-01"}

    delta = ingest.cache_delta_for("store-sh-xuhui", customers)
    assert delta.version == delta.base_version + 1
    [entry] = delta.upserts
    assert entry.customer_id == "cus-demo-01"
    assert entry.display_name == "王*"
    assert [p.receipt_no for p in entry.last_purchases] == ["R-C-3", "R-C-2", "R-C-1"]
    assert entry.last_purchases[0].summary == "阿莫西林胶囊 0.25g*24 x2"
    assert Identifier(kind=IdentifierKind.CARD_UID, value="01010501B00AC30B") in entry.identifiers
    assert Identifier(kind=IdentifierKind.MEMBER_NO, value="M1001") in entry.identifiers
    assert set(entry.tags) == {"高血压", "会员"}

    following = ingest.cache_delta_for("store-sh-xuhui", customers)
    assert following.base_version == delta.version
    assert following.version == delta.version + 1


def test_snapshot_is_full_at_the_store_version(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    stale = stale_store_version(sessions, "gw-demo-2", 0)
    assert stale is not None
    store_id, version = stale
    [payload_] = read_snapshot(sessions, store_id, version, 100, DEFAULT_MAX_MESSAGE_BYTES).payloads
    first = decode_cache_delta(payload_)
    assert (first.base_version, first.version) == (0, version)
    assert {c.customer_id for c in first.upserts} == {f"cus-demo-{n:02d}" for n in range(11, 21)}
    assert all(len(c.last_purchases) <= 3 for c in first.upserts)
    assert stale_store_version(sessions, "gw-demo-2", version) is None, "no new version taken"


def test_new_card_at_a_store_joins_that_store_cache(
    ingest: IngestService, projector: ConsumerRunner
) -> None:
    now = datetime.now(UTC) - timedelta(minutes=1)
    ingest.commit_batch("gw-demo-2", payload(batch("gw-demo-2", [tap("ABCDEF0123")])), now)
    [new_id] = projector.drain().touched["store-sh-jingan"]
    delta = ingest.cache_delta_for("store-sh-jingan", {new_id})
    [entry] = delta.upserts
    assert entry.display_name == "Guest"
    assert entry.identifiers == [Identifier(kind=IdentifierKind.CARD_UID, value="ABCDEF0123")]
    assert ingest.gateways_of_store("store-sh-jingan") == ["gw-demo-2"]


def test_a_raw_number_stored_as_a_hash_before_the_wire_refused_it_stays_off_the_cache(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    with sessions.begin() as s:  # what an older hub committed from `id_hash: <the number>`
        s.add(
            Identity(
                tenant_id=s.get_one(Customer, "cus-demo-01").tenant_id,
                customer_id="cus-demo-01",
                kind="id_hash",
                value="310106199001012343",
                created_at=datetime.now(UTC),
            )
        )
    [entry] = ingest.cache_delta_for("store-sh-xuhui", {"cus-demo-01"}).upserts
    assert entry.customer_id == "cus-demo-01"
    assert all(i.value != "310106199001012343" for i in entry.identifiers)
    assert Identifier(kind=IdentifierKind.MEMBER_NO, value="M1001") in entry.identifiers
