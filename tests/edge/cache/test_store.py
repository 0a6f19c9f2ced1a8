import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from edge.cache import CacheError, CacheVersionGap, CustomerCache
from edge.errors import EdgeError
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer, CacheDelta, PurchaseSummary, SnapshotPart

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def card(uid: str) -> Identifier:
    return Identifier(kind=IdentifierKind.CARD_UID, value=uid)


def customer(n: int, *, name: str = "", minutes: int = 0, **extra: object) -> CachedCustomer:
    identifiers = extra.pop("identifiers", None) or [
        card(f"{n:08X}"),
        Identifier(kind=IdentifierKind.MEMBER_NO, value=f"M{n:06d}"),
        Identifier(kind=IdentifierKind.ID_HASH, value=f"{n:064x}"),
        Identifier(kind=IdentifierKind.PHONE_HASH, value=f"{n + 7:064x}"),
    ]
    return CachedCustomer(
        customer_id=f"c{n}",
        display_name=name or f"Wang {n} *",
        identifiers=identifiers,
        updated_at=T0 + timedelta(minutes=minutes or n),
        **extra,
    )


def purchase(receipt: str, minutes: int = 0) -> PurchaseSummary:
    return PurchaseSummary(
        at=T0 + timedelta(minutes=minutes), receipt_no=receipt, summary=f"item {receipt}", total=990
    )


def delta(
    base: int, version: int, upserts: list[CachedCustomer], deletes: tuple[str, ...] = ()
) -> CacheDelta:
    """A delta; base 0 makes a snapshot of one part."""
    whole = SnapshotPart(snapshot_id=uuid4(), part=1, parts=1) if base == 0 else None
    return CacheDelta(
        store_id="s1",
        version=version,
        base_version=base,
        upserts=upserts,
        deletes=list(deletes),
        snapshot=whole,
    )


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[CustomerCache]:
    opened = CustomerCache(tmp_path / "cache.db").open()
    yield opened
    opened.close()


def test_constructor_does_no_io(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "cache.db"
    cache = CustomerCache(path)
    assert not path.exists()
    with pytest.raises(CacheError):
        cache.lookup(card("00000001"))
    cache.open()
    assert path.exists() and cache.version == 0
    cache.close()


def test_full_snapshot_then_lookup_by_every_kind(cache: CustomerCache) -> None:
    result = cache.apply(delta(0, 5, [customer(1), customer(2)]))
    assert (result.version, result.full, result.upserted, result.applied) == (5, True, 2, True)
    assert cache.version == 5 and len(cache) == 2
    for ident in customer(2).identifiers:
        found = cache.lookup(ident)
        assert found is not None and found.customer_id == "c2", ident
    assert cache.lookup(card("DEADBEEF")) is None
    # a value of another kind is not a match
    assert cache.lookup(Identifier(kind=IdentifierKind.MEMBER_NO, value="00000001")) is None


def test_lookup_any_tries_every_identifier_in_order(cache: CustomerCache) -> None:
    """A card with a new UID but a known member number is that member (issue 12, item 5)."""
    cache.apply(delta(0, 1, [customer(1), customer(2)]))
    member = Identifier(kind=IdentifierKind.MEMBER_NO, value="M000002")
    found = cache.lookup_any([card("NEW00001"), member])
    assert found is not None and (found[0], found[1].customer_id) == (member, "c2")
    first = cache.lookup_any([card("00000001"), member])
    assert first is not None and first[1].customer_id == "c1", "the first known one wins"
    assert cache.lookup_any([card("NEW00001")]) is None
    assert cache.lookup_any([]) is None


def test_membership_and_home_store_survive_the_cache(cache: CustomerCache) -> None:
    provisional = customer(3, membership="provisional", home_store_id="s2", home_store_name="B")
    cache.apply(delta(0, 1, [provisional]))
    found = cache.lookup(card("00000003"))
    assert found is not None
    assert (found.membership, found.home_store_id, found.home_store_name) == (
        "provisional",
        "s2",
        "B",
    )


def test_full_snapshot_replaces_everything(cache: CustomerCache) -> None:
    cache.apply(delta(0, 1, [customer(1), customer(2)]))
    cache.apply(delta(0, 9, [customer(3)]))
    assert cache.version == 9 and len(cache) == 1
    assert cache.lookup(card("00000001")) is None
    assert cache.lookup(card("00000003")) is not None


def test_delta_upserts_replace_identifiers_and_deletes_remove(cache: CustomerCache) -> None:
    cache.apply(delta(0, 1, [customer(1), customer(2)]))
    assert cache.lookup(card("00000001")) is not None  # now in the LRU
    moved = customer(1, name="Li *", identifiers=[card("AAAA0001")])
    result = cache.apply(delta(1, 2, [moved], deletes=("c2",)))
    assert (result.upserted, result.deleted, cache.version) == (1, 1, 2)
    assert cache.lookup(card("00000001")) is None  # old identifier gone (and not stale in LRU)
    found = cache.lookup(card("AAAA0001"))
    assert found is not None and found.display_name == "Li *"
    assert cache.lookup(card("00000002")) is None
    assert len(cache) == 1


def test_identifier_claimed_by_another_customer_moves(cache: CustomerCache) -> None:
    cache.apply(delta(0, 1, [customer(1)]))
    merged = customer(5, identifiers=[card("00000001"), card("00000005")])
    cache.apply(delta(1, 2, [merged], deletes=("c1",)))
    found = cache.lookup(card("00000001"))
    assert found is not None and found.customer_id == "c5"


def test_version_gap_raises_and_leaves_cache_unchanged(cache: CustomerCache) -> None:
    cache.apply(delta(0, 3, [customer(1)]))
    with pytest.raises(CacheVersionGap) as info:
        cache.apply(delta(4, 5, [customer(2)], deletes=("c1",)))
    assert isinstance(info.value, EdgeError)
    assert (info.value.current, info.value.base_version) == (3, 4)
    assert cache.version == 3 and len(cache) == 1
    assert cache.lookup(card("00000001")) is not None
    assert cache.lookup(card("00000002")) is None


def test_duplicate_delta_is_ignored(cache: CustomerCache) -> None:
    cache.apply(delta(0, 1, [customer(1)]))
    cache.apply(delta(1, 2, [customer(2)]))
    again = cache.apply(delta(1, 2, [customer(2)], deletes=("c1",)))  # QoS 1 redelivery
    assert not again.applied and cache.version == 2 and len(cache) == 2


def test_failed_delta_rolls_back_atomically(cache: CustomerCache) -> None:
    cache.apply(delta(0, 1, [customer(1)]))

    def broken() -> object:
        yield customer(7)
        raise RuntimeError("snapshot stream broke")

    with pytest.raises(RuntimeError):
        cache.replace_all(broken(), 2)  # type: ignore[arg-type]
    assert cache.version == 1 and len(cache) == 1
    assert cache.lookup(card("00000001")) is not None
    assert cache.lookup(card("00000007")) is None


def test_eviction_keeps_the_most_recently_updated(tmp_path: Path) -> None:
    with CustomerCache(tmp_path / "c.db", max_customers=3) as cache:
        result = cache.apply(delta(0, 1, [customer(n) for n in range(1, 6)]))
        assert result.evicted == 2 and len(cache) == 3
        assert cache.lookup(card("00000001")) is None and cache.lookup(card("00000002")) is None
        cache.apply(delta(1, 2, [customer(9, minutes=1000)]))
        assert len(cache) == 3 and cache.lookup(card("00000003")) is None
        assert cache.lookup(card("00000009")) is not None
        # identifiers of evicted customers are gone too
        conn_count = cache._conn(cache._reader).execute("SELECT count(*) FROM identifiers")
        assert conn_count.fetchone()[0] == 3 * 4


def test_survives_reopen(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with CustomerCache(path) as cache:
        cache.apply(delta(0, 4, [customer(1), customer(2)]))
        cache.apply(delta(4, 6, [], deletes=("c2",)))
    with CustomerCache(path) as cache:
        assert cache.version == 6 and len(cache) == 1
        found = cache.lookup(Identifier(kind=IdentifierKind.MEMBER_NO, value="M000001"))
        assert found == customer(1)


def test_note_purchase_prepends_and_keeps_three(cache: CustomerCache) -> None:
    old = [purchase("r3", 3), purchase("r2", 2), purchase("r1", 1)]
    cache.apply(delta(0, 1, [customer(1, last_purchases=old)]))
    ident = card("00000001")
    assert cache.lookup(ident) is not None  # warm the LRU: the note must not be hidden by it
    updated = cache.note_purchase(ident, purchase("r4", 60))
    assert updated is not None
    found = cache.lookup(Identifier(kind=IdentifierKind.MEMBER_NO, value="M000001"))
    assert found is not None
    assert [p.receipt_no for p in found.last_purchases] == ["r4", "r3", "r2"]
    assert cache.version == 1
    cache.note_purchase(ident, purchase("r4", 60))  # the same receipt twice is one entry
    again = cache.lookup(ident)
    assert again is not None and [p.receipt_no for p in again.last_purchases] == ["r4", "r3", "r2"]
    assert cache.note_purchase(card("FFFFFFFF"), purchase("r9")) is None


def test_lookups_run_while_a_delta_is_applied_from_a_thread(tmp_path: Path) -> None:
    # no LRU: every lookup reads SQLite through the reader connection during the write
    with CustomerCache(tmp_path / "c.db", lru_size=0) as cache:
        cache.apply(delta(0, 1, [customer(n) for n in range(1, 50)]))
        big = delta(1, 2, [customer(n) for n in range(1000, 3000)])
        worker = threading.Thread(target=cache.apply, args=(big,))
        worker.start()
        seen = 0
        while True:  # a tap during the apply sees the committed state, never an error
            assert cache.lookup(card("00000010")) is not None
            seen += 1
            if not worker.is_alive():
                break
            time.sleep(0.001)  # pace like taps: a spinning reader starves the writer of the GIL
        worker.join()
        assert cache.version == 2 and len(cache) == 49 + 2000 and seen > 0
        assert cache.lookup(card(f"{2999:08X}")) is not None


def test_corrupt_file_is_moved_aside_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(b"this is not a database" * 100)
    with CustomerCache(path) as cache:
        assert cache.version == 0 and len(cache) == 0  # the gateway will ask for a snapshot
        cache.apply(delta(0, 1, [customer(1)]))
        assert cache.lookup(card("00000001")) is not None
    aside = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(aside) == 1 and aside[0].startswith("c.db.corrupt-")


def test_unopenable_path_raises_cache_error(tmp_path: Path) -> None:
    (tmp_path / "dir.db").mkdir()
    with pytest.raises(CacheError):
        CustomerCache(tmp_path / "dir.db").open()


def test_an_entry_an_older_hub_sent_with_a_raw_number_as_a_hash_is_a_miss(
    tmp_path: Path,
) -> None:
    cache = CustomerCache(tmp_path / "cache.db").open()
    cache.apply(delta(0, 1, [customer(1), customer(2)]))
    cache.close()
    with sqlite3.connect(tmp_path / "cache.db") as db:  # as an older gateway stored it
        doc = customer(1).model_dump_json().replace(f"{1:064x}", "310106199001012343")
        db.execute("UPDATE customers SET doc = ? WHERE customer_id = 'c1'", (doc,))
    cache = CustomerCache(tmp_path / "cache.db").open()
    assert cache.lookup(card("00000001")) is None  # not an exception in the tap's path
    assert cache.note_purchase(card("00000001"), purchase("R1")) is None
    found = cache.lookup(card("00000002"))
    assert found is not None and found.customer_id == "c2"
    cache.apply(delta(1, 2, [customer(1)]))  # the hub's next upsert replaces it
    found = cache.lookup(card("00000001"))
    assert found is not None and found.customer_id == "c1"
    cache.close()
