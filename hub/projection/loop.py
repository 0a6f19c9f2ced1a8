"""Runs one consumer of the event stream beside ingest, in one thread per hub process.

The thread sleeps until woken (the MQTT consumer wakes it after every commit) or until
`idle_seconds` pass (events committed by another process), then runs rounds while there is
work, hands each round's touched customers to `publish` (cache deltas), and keeps the lag
gauges current. Storage failures back off and retry: the cursor did not move, and the
customers of a delta that could not be sent go again with the next round or the next look.

Acks come first: projection and ingest share the interpreter lock (and, with extra ingest
processes, the cores), and a CRM round costs several times the Python of storing the same
events. While ingest is busy, the loop takes at most `busy_share` of the time (it pauses
after each round for the rest), so a burst is acked at full speed and the CRM catches up
after it. Busy means `ingest_busy()` says batches wait in this process, or new segments
were committed during the round (by any process). Under a sustained overload the CRM still moves,
at that share.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from hub import metrics
from hub.errors import StorageError
from hub.projection.consumer import ConsumerRunner, RoundOutcome

log = logging.getLogger(__name__)
Publish = Callable[[dict[str, set[str]]], None]
MAX_PAUSE_SECONDS = 5.0
MAX_DELTA_ATTEMPTS = 10  # sends of the same waiting customers before they are dropped


class ConsumerLoop:
    def __init__(
        self,
        runner: ConsumerRunner,
        publish: Publish | None = None,
        idle_seconds: float = 1.0,
        retry_seconds: float = 1.0,
        ingest_busy: Callable[[], bool] | None = None,
        busy_share: float = 0.25,
    ) -> None:
        self.runner = runner
        self.publish = publish
        self.idle_seconds = idle_seconds
        self.retry_seconds = retry_seconds
        self.ingest_busy = ingest_busy
        self.busy_share = busy_share
        self.on_round: Callable[[RoundOutcome], None] | None = None  # an observer
        self.failures = 0  # rounds that failed, in all
        self.last_error: str | None = None  # of the latest round, None once one succeeds
        self._unsent: dict[str, set[str]] = {}  # store -> customers of failed deltas
        self._failed_sends = 0  # in a row
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        name = f"stream-{self.runner.name}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the round in progress (its transaction commits or rolls back whole)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.idle_seconds)
            self._wake.clear()
            try:
                self._until_idle()
                self.last_error = None
            except StorageError as exc:
                self._failed(exc)
                log.error("%s: storage failed, will retry: %s", self.runner.name, exc)
                self._stopping.wait(self.retry_seconds)
            except Exception as exc:  # the supervisor of this thread: log, back off, go on
                self._failed(exc)
                log.exception("%s: unexpected failure, will retry", self.runner.name)
                self._stopping.wait(self.retry_seconds)

    def _failed(self, exc: Exception) -> None:
        self.failures += 1
        self.last_error = f"{type(exc).__name__}: {exc}"[:300]
        metrics.STREAM_FAILURES.labels(self.runner.name).inc()

    def _until_idle(self) -> None:
        queued: int | None = None  # segments waiting after the previous round
        while not self._stopping.is_set():
            started = time.monotonic()
            outcome = self.runner.run_once()
            if (outcome.touched or self._unsent) and self.publish is not None:
                self._publish(outcome.touched)
            waiting = self._report_lag()
            if not outcome.segments:
                return
            if self.on_round is not None:
                self.on_round(outcome)
            arrived = queued is not None and waiting > queued - outcome.segments
            queued = waiting
            self._give_way(time.monotonic() - started, arrived)

    def _give_way(self, round_seconds: float, work_arrived: bool) -> None:
        """Pause so that this round was at most busy_share of the time, if ingest is busy."""
        if self.busy_share >= 1:
            return
        if not work_arrived and (self.ingest_busy is None or not self.ingest_busy()):
            return
        pause = round_seconds * (1 - self.busy_share) / self.busy_share
        self._stopping.wait(min(pause, MAX_PAUSE_SECONDS))

    def _publish(self, touched: dict[str, set[str]]) -> None:
        """Send these customers' deltas with any that failed before. Nothing else would
        send them: the store's cache version was not bumped, so no snapshot follows."""
        assert self.publish is not None
        for store_id, customers in touched.items():
            self._unsent.setdefault(store_id, set()).update(customers)
        try:
            self.publish(self._unsent)
        except StorageError as exc:  # the CRM is committed; the delta goes next time
            self._failed_sends += 1
            waiting = sum(map(len, self._unsent.values()))
            if self._failed_sends < MAX_DELTA_ATTEMPTS:
                log.error("cache delta not sent (%d customers wait): %s", waiting, exc)
                return
            # Not for ever: a delta that cannot be built must not hold back every later one.
            log.error(
                "cache delta for %d customers dropped after %d attempts "
                "(they go again with their next change, or with a resync): %s",
                waiting,
                self._failed_sends,
                exc,
            )
        self._unsent, self._failed_sends = {}, 0

    def _report_lag(self) -> int:
        """Update the lag gauges; returns the number of segments waiting."""
        lag = self.runner.lag()
        metrics.STREAM_LAG_EVENTS.labels(self.runner.name).set(lag.events)
        metrics.STREAM_LAG_SECONDS.labels(self.runner.name).set(lag.seconds(datetime.now(UTC)))
        return lag.segments
