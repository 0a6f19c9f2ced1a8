"""The gateway's side of cache sync: the hub's cache messages, applied in arrival order.

A delta applies at once when it follows the cache's version; a gap means the gateway asks
for a snapshot (its status reports `cache_version` 0). A snapshot comes in parts (one
`snapshot_id`, `part` of `parts`): they are staged in the cache file and swapped in
together when all have arrived (edge/cache/staging.py), while taps keep being answered
from the cache as it was. Deltas that arrive while a snapshot is assembling are held and
applied after the swap (those it already covers are skipped). A part of another snapshot
starts over with that one unless it is older; a snapshot that stops getting parts for
`stall_seconds` is dropped and asked for again, each further time after a longer wait.

Not thread-safe: the gateway calls it from one worker at a time.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from uuid import UUID

from edge.cache.errors import CacheVersionGap
from edge.cache.store import CustomerCache
from wire.messages import CacheDelta

log = logging.getLogger(__name__)
HELD_DELTAS = 256  # more while one snapshot assembles, and a fresh snapshot is asked for
MAX_STALL_SECONDS = 300.0


@dataclass
class _Assembly:
    snapshot_id: UUID
    version: int
    parts: int
    last_part_at: float
    received: set[int] = field(default_factory=set)


class CacheFollower:
    def __init__(
        self,
        cache: CustomerCache,
        stall_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cache = cache
        self.stall_seconds = stall_seconds
        self.clock = clock
        self.resync = False  # a snapshot is needed: report cache version 0
        self.counters = {"snapshots": 0, "stalled": 0, "abandoned": 0, "gaps": 0}
        self._assembly: _Assembly | None = None
        self._held: list[CacheDelta] = []
        self._held_overflow = False
        self._stalls = 0  # in a row: each waits longer before it gives up

    @property
    def assembling(self) -> tuple[int, int] | None:
        """(parts received, parts) of the snapshot being assembled."""
        a = self._assembly
        return None if a is None else (len(a.received), a.parts)

    def reported_version(self) -> int:
        """What the status says: the version the cache will be at once what it holds is
        applied (a snapshot assembling and the deltas after it), 0 when it needs one."""
        if self._assembly is not None:
            version = self._assembly.version
            for delta in sorted(self._held, key=lambda d: d.version):
                if delta.base_version == version:
                    version = delta.version
            return version
        return 0 if self.resync else self.cache.version

    def receive(self, message: CacheDelta) -> bool:
        """Apply or stage one cache message. True: publish the status now (a snapshot was
        swapped in, or one is needed)."""
        if message.snapshot is None:
            return self._delta(message)
        return self._part(message)

    def stalled(self) -> bool:
        """Drop a snapshot that stopped getting parts; True: ask for a new one now."""
        a = self._assembly
        wait = min(self.stall_seconds * 2**self._stalls, MAX_STALL_SECONDS)
        if a is None or self.clock() - a.last_part_at < wait:
            return False
        log.warning(
            "cache snapshot v%d: %d of %d parts in %.0f s; dropped, asking again",
            a.version,
            len(a.received),
            a.parts,
            wait,
        )
        self._stalls += 1
        self.counters["stalled"] += 1
        self._drop_assembly()
        return True

    def _delta(self, delta: CacheDelta) -> bool:
        if self._assembly is not None:
            if len(self._held) < HELD_DELTAS:
                self._held.append(delta)
            else:
                self._held_overflow = True
            return False
        try:
            result = self.cache.apply(delta)
        except CacheVersionGap as exc:
            log.warning("cache delta gap (%s); asking the hub for a snapshot", exc)
            self.counters["gaps"] += 1
            self.resync = True
            return True
        log.info("cache at version %d (%d upserts)", result.version, result.upserted)
        return False

    def _part(self, message: CacheDelta) -> bool:
        assert message.snapshot is not None
        part, a = message.snapshot, self._assembly
        first = a is None or a.snapshot_id != part.snapshot_id
        if a is not None and first:
            if message.version < a.version:
                log.info("cache snapshot part of older v%d ignored", message.version)
                return False
            log.warning("cache snapshot v%d abandoned for a newer one", a.version)
            self.counters["abandoned"] += 1
        if first:
            a = self._start(message)
        assert a is not None
        if part.part in a.received:
            return False  # a redelivery
        if part.parts == 1:
            self.cache.replace_all(message.upserts, message.version)
            return self._swapped()
        staged = self.cache.stage_part(message.upserts, first=first)
        a.received.add(part.part)
        a.last_part_at = self.clock()
        log.info(
            "cache snapshot v%d: part %d of %d (%d customers staged)",
            a.version,
            part.part,
            a.parts,
            staged,
        )
        if len(a.received) < a.parts:
            return False
        self.cache.swap_in_staged(a.version)
        return self._swapped()

    def _start(self, message: CacheDelta) -> _Assembly:
        assert message.snapshot is not None
        self._assembly = _Assembly(
            message.snapshot.snapshot_id, message.version, message.snapshot.parts, self.clock()
        )
        self._held = [d for d in self._held if d.version > message.version]
        return self._assembly

    def _drop_assembly(self) -> None:
        self._assembly = None
        self._held, self._held_overflow = [], False
        self.resync = True
        self.cache.discard_staged()

    def _swapped(self) -> bool:
        """After a snapshot: the deltas held meanwhile, then report the version."""
        self._assembly, self._stalls, self.resync = None, 0, False
        self.counters["snapshots"] += 1
        log.info(
            "cache snapshot swapped in: version %d, %d customers",
            self.cache.version,
            len(self.cache),
        )
        held, overflow = sorted(self._held, key=lambda d: d.version), self._held_overflow
        self._held, self._held_overflow = [], False
        if overflow:
            log.warning("more than %d deltas came during the snapshot; asking again", HELD_DELTAS)
            self.resync = True
            return True
        for delta in held:
            self._delta(delta)  # a gap sets resync; the status goes either way
        return True
