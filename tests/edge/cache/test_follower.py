"""The gateway's cache follower against a real cache file: a snapshot in parts shows only
once whole, deltas that arrive meanwhile are applied after it, redelivered and stale
parts change nothing, a newer snapshot starts over, and a stalled one is dropped and asked
for again after a growing wait."""

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest

from edge.cache import CustomerCache
from edge.cache.follower import CacheFollower
from tests.edge.cache.test_store import card, customer, delta
from wire.messages import CacheDelta, SnapshotPart


def parts(version: int, groups: list[list[int]]) -> list[CacheDelta]:
    sid = uuid4()
    return [
        CacheDelta(
            store_id="s1",
            version=version,
            base_version=0,
            upserts=[customer(n) for n in group],
            snapshot=SnapshotPart(snapshot_id=sid, part=i, parts=len(groups)),
        )
        for i, group in enumerate(groups, start=1)
    ]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[CustomerCache]:
    opened = CustomerCache(tmp_path / "cache.db").open()
    opened.replace_all([customer(99)], 3)  # what the gateway had before
    yield opened
    opened.close()


def ids(cache: CustomerCache) -> set[str]:
    found = set()
    for n in range(100):
        hit = cache.lookup(card(f"{n:08X}"))
        if hit is not None:
            found.add(hit.customer_id)
    return found


def test_parts_show_together_and_held_deltas_follow(cache: CustomerCache) -> None:
    follower = CacheFollower(cache)
    first, second, third = parts(7, [[1, 2], [3], [4, 5]])
    assert not follower.receive(first)
    assert not follower.receive(first), "a redelivered part"
    assert not follower.receive(delta(7, 8, [customer(6)]))  # held: after the snapshot
    assert not follower.receive(second)
    assert ids(cache) == {"c99"} and cache.version == 3, "the old cache until the last part"
    assert follower.reported_version() == 8, "what it will be at: no second snapshot asked"
    assert follower.receive(third)
    assert (cache.version, ids(cache)) == (8, {"c1", "c2", "c3", "c4", "c5", "c6"})
    assert follower.reported_version() == 8 and not follower.resync


def test_a_newer_snapshot_starts_over_an_older_part_is_ignored(cache: CustomerCache) -> None:
    follower = CacheFollower(cache)
    older = parts(7, [[1], [2]])
    newer = parts(9, [[3], [4]])
    follower.receive(older[0])
    follower.receive(newer[0])
    assert not follower.receive(older[1]), "a part of the abandoned, older snapshot"
    assert follower.assembling == (1, 2)
    assert follower.receive(newer[1])
    assert (cache.version, ids(cache)) == (9, {"c3", "c4"})
    assert follower.counters["abandoned"] == 1


def test_a_stalled_snapshot_is_dropped_and_asked_for_after_a_growing_wait(
    cache: CustomerCache,
) -> None:
    clock = Clock()
    follower = CacheFollower(cache, stall_seconds=30, clock=clock)
    for wait in (30, 60, 120):
        follower.receive(parts(7, [[1], [2]])[0])
        clock.now += wait - 1
        assert not follower.stalled()
        clock.now += 1
        assert follower.stalled(), f"given up after {wait} s"
        assert follower.reported_version() == 0, "asks for a snapshot"
        assert (cache.version, ids(cache)) == (3, {"c99"}), "the old cache stays"
    follower.receive(parts(7, [[1]])[0])  # one that arrives whole
    assert not follower.resync and follower.counters["stalled"] == 3
    clock.now += 31
    follower.receive(parts(8, [[1], [2]])[0])
    clock.now += 30
    assert follower.stalled(), "a success starts the wait over"


def test_a_gap_asks_for_a_snapshot(cache: CustomerCache) -> None:
    follower = CacheFollower(cache)
    assert follower.receive(delta(5, 6, [customer(1)]))
    assert follower.reported_version() == 0 and ids(cache) == {"c99"}
