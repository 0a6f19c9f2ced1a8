"""Cache snapshots, one at a time, at most one per gateway per interval.

A status asks for a snapshot (its `cache_version` is not the store's); the request is
kept, a newer status of the same gateway replaces it, and one thread serves them: it
checks again that the gateway is stale, reads the snapshot and publishes its parts,
waiting for the broker to take each (so one snapshot at a time is in flight, and the
ingest workers never wait on one). Requests that come while a gateway's snapshot is
being read and sent are answered by it. A gateway whose snapshot ended less than
`interval_seconds` ago waits until the interval is over, and is then answered once, on
its latest status: 500 statuses asking for a snapshot make one or two, not 500.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from hub import metrics
from hub.errors import StorageError
from hub.gateways.cache_sync import read_snapshot, stale_store_version
from wire.topics import Channel, topic

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SentSnapshot:
    """The last snapshot sent: what it held and where its time went."""

    gateway_id: str
    version: int
    customers: int
    parts: int
    payload_bytes: int
    read_seconds: float  # reading and encoding it
    send_seconds: float  # until the broker had taken every part


Publish = Callable[[str, bytes], bool]  # topic, payload -> taken by the broker in time
Clock = Callable[[], float]


class SnapshotSender:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        publish: Publish,
        max_message_bytes: Callable[[], int],
        *,
        interval_seconds: float,
        max_customers: int,
        clock: Clock = time.monotonic,
    ) -> None:
        self.sessions = sessions
        self.publish = publish
        self.max_message_bytes = max_message_bytes  # the link's, read at each snapshot
        self.interval_seconds = interval_seconds
        self.max_customers = max_customers
        self.clock = clock
        self.last_sent: SentSnapshot | None = None
        self._sent_to: str | None = None  # the gateway being served a snapshot now
        self._wanted: dict[str, int] = {}  # gateway -> the cache version it last reported
        self._last_sent: dict[str, float] = {}  # gateway -> when its last snapshot ended
        self._changed = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name="cache-snapshots", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def request(self, gateway_id: str, reported_version: int) -> None:
        """From a status: the gateway's cache is at `reported_version` (0: it has none)."""
        with self._changed:
            if gateway_id in self._wanted:
                metrics.CACHE_SNAPSHOT_REQUESTS.labels("coalesced").inc()
            self._wanted[gateway_id] = reported_version
            self._changed.notify_all()

    def waiting(self) -> dict[str, int]:
        """Requests not served yet: gateway -> the version it reported last."""
        with self._changed:
            return dict(self._wanted)

    def _due(self, gateway_id: str) -> float:
        last = self._last_sent.get(gateway_id)
        return float("-inf") if last is None else last + self.interval_seconds

    def _next(self) -> tuple[str, int] | None:
        """The next request whose interval is over, waiting for one; None when stopping."""
        with self._changed:
            while not self._stopping:
                now = self.clock()
                due = min(self._wanted, key=self._due, default=None)
                if due is not None and self._due(due) <= now:
                    return due, self._wanted.pop(due)
                wait = None if due is None else self._due(due) - now
                self._changed.wait(wait)
            return None

    def _run(self) -> None:
        while (job := self._next()) is not None:
            try:
                self._serve(*job)
                self._done(job[0])
            except StorageError as exc:
                metrics.CACHE_SNAPSHOTS.labels("failed").inc()
                log.error("cache snapshot for %s not sent: %s", job[0], exc)
                self._done(job[0])
            except Exception:  # the supervisor of this thread: log and serve the next
                metrics.CACHE_SNAPSHOTS.labels("failed").inc()
                log.exception("cache snapshot for %s failed", job[0])
                self._done(job[0])

    def _done(self, gateway_id: str) -> None:
        """The interval runs from the end of a snapshot: reading a big store can take
        longer than the interval, and the gateway's statuses meanwhile (still without a
        cache) ask for the very snapshot being sent, so they are dropped with it. A
        gateway that still needs one after the parts arrived says so again."""
        if self._sent_to != gateway_id:
            return
        with self._changed:
            self._last_sent[gateway_id] = self.clock()
            self._wanted.pop(gateway_id, None)
            self._sent_to = None

    def _serve(self, gateway_id: str, reported_version: int) -> None:
        stale = stale_store_version(self.sessions, gateway_id, reported_version)
        if stale is None:
            metrics.CACHE_SNAPSHOT_REQUESTS.labels("current").inc()
            return
        metrics.CACHE_SNAPSHOT_REQUESTS.labels("served").inc()
        self._sent_to = gateway_id  # a failed one counts too: it cost the same
        started = time.perf_counter()
        store_id, version = stale
        built = read_snapshot(
            self.sessions, store_id, version, self.max_customers, self.max_message_bytes()
        )
        read_seconds = time.perf_counter() - started
        cache_topic = topic(gateway_id, Channel.CACHE)
        for done, payload in enumerate(built.payloads):
            if not self.publish(cache_topic, payload):
                metrics.CACHE_SNAPSHOTS.labels("failed").inc()
                log.error(
                    "cache snapshot v%d to %s stopped after %d of %d parts (the link is "
                    "down); the gateway asks again",
                    version,
                    gateway_id,
                    done,
                    len(built.payloads),
                )
                return
        send_seconds = time.perf_counter() - started - read_seconds
        metrics.CACHE_SNAPSHOTS.labels("sent").inc()
        metrics.CACHE_SNAPSHOT_PARTS.inc(len(built.payloads))
        metrics.CACHE_SNAPSHOT_SECONDS.observe(read_seconds + send_seconds)
        self.last_sent = sent = SentSnapshot(
            gateway_id,
            version,
            built.customers,
            len(built.payloads),
            sum(map(len, built.payloads)),
            read_seconds,
            send_seconds,
        )
        log.info("cache snapshot sent: %s", sent)
