"""A store's snapshot is whole, in parts that each fit the message size, and a real edge
cache assembles them into the same set of customers; requests for snapshots are served
one at a time, at most once per gateway per interval."""

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from edge.cache.follower import CacheFollower
from edge.cache.store import CustomerCache
from hub import metrics
from hub.demo.seed import SeedResult
from hub.gateways.cache_sync import read_snapshot, stale_store_version
from hub.gateways.snapshot_sender import SnapshotSender
from tests.support.big_store import add_customers, card_uid
from tests.support.processes import wait_for
from wire.codec import decode_cache_delta
from wire.identity import Identifier, IdentifierKind
from wire.message_size import MIN_MAX_MESSAGE_BYTES

STORE, GATEWAY = "store-sh-jingan", "gw-demo-2"
SEEDED = 10  # the demo's customers of that store
CUSTOMERS = 6000  # more than the 5,000 one message held before


def test_a_store_bigger_than_one_message_is_sent_whole_and_assembled(
    engine: Engine, sessions: sessionmaker[Session], seeded: SeedResult, tmp_path: Path
) -> None:
    added = set(add_customers(engine, STORE, CUSTOMERS))
    stale = stale_store_version(sessions, GATEWAY, 0)
    assert stale is not None
    store_id, version = stale
    built = read_snapshot(sessions, store_id, version, 200_000, MIN_MAX_MESSAGE_BYTES)

    assert len(built.payloads) >= 4, "6,000 entries of ~500 bytes in 256 KiB messages"
    messages = [decode_cache_delta(p) for p in built.payloads]  # what a gateway receives
    assert max(len(p) for p in built.payloads) <= MIN_MAX_MESSAGE_BYTES
    assert [(m.snapshot.part, m.snapshot.parts) for m in messages if m.snapshot] == [
        (n, len(messages)) for n in range(1, len(messages) + 1)
    ]
    assert {m.snapshot.snapshot_id for m in messages if m.snapshot} == {built.snapshot_id}
    assert {(m.version, m.base_version) for m in messages} == {(version, 0)}
    sent = [e.customer_id for m in messages for e in m.upserts]
    assert len(sent) == len(set(sent)) == CUSTOMERS + SEEDED
    assert added <= set(sent)

    cache = CustomerCache(tmp_path / "cache.sqlite3").open()
    follower = CacheFollower(cache)
    for message in messages[:-1]:
        assert not follower.receive(message)
        assert cache.version == 0 and len(cache) == 0, "nothing shows before the last part"
    assert follower.receive(messages[-1]), "swapped in: the gateway reports its version"
    assert (cache.version, len(cache)) == (version, CUSTOMERS + SEEDED)
    assert follower.reported_version() == version
    found = cache.lookup(Identifier(kind=IdentifierKind.CARD_UID, value=card_uid(4321)))
    assert found is not None and found.customer_id == "big-004321"
    assert [p.receipt_no for p in found.last_purchases] == ["BIG-004321-0", "BIG-004321-1"]
    cache.close()


class _Published:
    """What the sender hands to the broker: the snapshot ids, in order."""

    def __init__(self) -> None:
        self.snapshots: list[str] = []

    def __call__(self, _topic: str, payload: bytes) -> bool:
        message = decode_cache_delta(payload)
        assert message.snapshot is not None and message.snapshot.parts == 1  # the demo store
        self.snapshots.append(str(message.snapshot.snapshot_id))
        return True


def test_a_flood_of_snapshot_requests_is_served_once_per_interval(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    now = [1000.0]
    published = _Published()
    sender = SnapshotSender(
        sessions,
        published,
        lambda: MIN_MAX_MESSAGE_BYTES,
        interval_seconds=30.0,
        max_customers=200_000,
        clock=lambda: now[0],
    )
    served = metrics.CACHE_SNAPSHOT_REQUESTS.labels("served")
    before = served._value.get()
    sender.start()
    try:
        for _ in range(500):
            sender.request(GATEWAY, 0)
        wait_for("one snapshot", lambda: len(published.snapshots) == 1 and not sender.waiting(), 20)
        # The clock stands still: a second flood waits for the interval, as one request.
        for _ in range(500):
            sender.request(GATEWAY, 0)
        assert sender.waiting() == {GATEWAY: 0}
        now[0] += 29.0
        sender.request(GATEWAY, 0)
        assert sender.waiting() == {GATEWAY: 0} and len(published.snapshots) == 1
        now[0] += 1.0  # the interval is over: the waiting request is answered, once
        sender.request(GATEWAY, 0)
        wait_for("a second", lambda: len(published.snapshots) == 2 and not sender.waiting(), 20)
    finally:
        sender.stop()
    assert len(set(published.snapshots)) == 2
    assert served._value.get() - before == 2


def test_a_gateway_that_caught_up_gets_no_snapshot(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    stale = stale_store_version(sessions, GATEWAY, 0)
    assert stale is not None
    assert stale_store_version(sessions, GATEWAY, stale[1]) is None
    assert stale_store_version(sessions, "gw-nobody", 0) is None
