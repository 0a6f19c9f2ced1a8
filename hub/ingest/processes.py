"""Ingest processes: the hub's event batches taken by several interpreters.

One interpreter decodes and stores batches on about one core at most (pydantic and psycopg
hold its lock), so a hub on N cores takes event batches in N processes that share the
MQTT 5 subscription. Each runs an `IngestConsumer` on the events channel only, with its
own database pool; status, cache snapshots, the CRM projection and the API stay in the
main process, which supervises them: a process that dies is started again after a
back-off; one whose parent is gone (SIGKILL) stops by itself. An event batch in flight in
a process that dies is not acked, so its gateway re-sends it. Their counters reach the
main process's /metrics through files (hub/ingest/shared_metrics.py).
"""

import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from hub.crm.dead_letters import DeadLetterPolicy
from hub.crm.ingest import IngestService
from hub.db import make_engine, make_session_factory
from hub.ingest import shared_metrics
from hub.ingest.consumer import IngestConsumer
from hub.settings import HubSettings
from wire.topics import Channel

log = logging.getLogger(__name__)
Initializer = Callable[[], None]
RESTART_BACKOFF_SECONDS = (1.0, 2.0, 5.0, 10.0, 30.0)
HEALTHY_SECONDS = 60.0  # a process that lived this long starts the back-off over
PARENT_POLL_SECONDS = 0.5


def restart_delay(failures: int) -> float:
    """Seconds to wait before restarting a process that failed `failures` times in a row."""
    return RESTART_BACKOFF_SECONDS[min(failures, len(RESTART_BACKOFF_SECONDS)) - 1]


def failures_in_a_row(previous: int, lived_seconds: float) -> int:
    return 1 if lived_seconds >= HEALTHY_SECONDS else previous + 1


def ingest_service(settings: HubSettings, sessions: sessionmaker[Session]) -> IngestService:
    letters = DeadLetterPolicy(
        bytes_per_gateway_day=settings.dead_letter_bytes_per_gateway_day,
        retention_days=settings.dead_letter_retention_days,
    )
    key = settings.tenant_key.get_secret_value().encode()
    return IngestService(sessions, key, settings.clock_skew_seconds, letters)


def can_share_ingest(settings: HubSettings) -> str | None:
    """Why ingest processes cannot run with these settings, or None if they can."""
    if (settings.database_url or "").startswith("sqlite"):  # unset: embedded PostgreSQL
        return "SQLite has one writer"
    if settings.mqtt_protocol != "5" or settings.mqtt_shared_group is None:
        return "the events subscription is not an MQTT 5 shared subscription"
    return None


class IngestProcesses:
    """`count` supervised ingest processes; `initializer` runs first in each (log set-up)."""

    def __init__(
        self, settings: HubSettings, count: int, initializer: Initializer | None = None
    ) -> None:
        self.settings = settings
        self.count = count
        self.initializer = initializer
        self.restarts = 0
        self._ctx = multiprocessing.get_context("spawn")  # no fork of a threaded process
        self._stop = self._ctx.Event()
        self._connected = self._ctx.Value("i", 0)  # children subscribed so far
        self._processes: list[BaseProcess] = []
        self._started_at: list[float] = []
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self.metrics_dir: Path | None = None  # the processes' prometheus-client files

    @property
    def pids(self) -> list[int]:
        return [p.pid for p in self._processes if p.pid is not None and p.is_alive()]

    def start(self) -> None:
        self.metrics_dir = Path(tempfile.mkdtemp(prefix="storepulse-ingest-metrics-"))
        shared_metrics.add_directory(self.metrics_dir)
        self._started_at = [0.0] * self.count
        self._processes = [self._spawn(index) for index in range(self.count)]
        self._supervisor = threading.Thread(
            target=self._supervise, name="ingest-supervisor", daemon=True
        )
        self._supervisor.start()
        log.info("hub ingest: %d ingest processes %s", self.count, self.pids)

    def wait_connected(self, timeout: float) -> bool:
        """Until every process has subscribed once (False on timeout)."""
        deadline = time.monotonic() + timeout
        while self._connected.value < self.count:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        self._stop.set()
        if self._supervisor is not None:
            self._supervisor.join(timeout)
        deadline = time.monotonic() + timeout
        for process in self._processes:
            process.join(max(0.1, deadline - time.monotonic()))
            if process.is_alive():
                log.warning("hub ingest: process %s did not stop; terminating it", process.pid)
                process.terminate()
                process.join(5)
        self._processes.clear()
        if self.metrics_dir is not None:
            shared_metrics.remove_directory(self.metrics_dir)
            shutil.rmtree(self.metrics_dir, ignore_errors=True)
            self.metrics_dir = None

    def _spawn(self, index: int) -> BaseProcess:
        process = self._ctx.Process(
            target=run_ingest_process,
            args=(self.settings, self._stop, self._connected, os.getpid(), self.initializer),
            name=f"storepulse-hub-ingest-{index + 1}",
            daemon=False,  # it has threads and connections of its own to close
        )
        assert self.metrics_dir is not None
        with shared_metrics.child_environment(self.metrics_dir):
            process.start()
        self._started_at[index] = time.monotonic()
        return process

    def _supervise(self) -> None:
        failures = [0] * self.count
        while not self._stopping.wait(1.0):
            for index, process in enumerate(self._processes):
                if process.is_alive():
                    continue
                lived = time.monotonic() - self._started_at[index]
                failures[index] = failures_in_a_row(failures[index], lived)
                backoff = restart_delay(failures[index])
                log.error(
                    "hub ingest: process %s exited with %s after %.0f s; restarting in %.0f s",
                    process.pid,
                    process.exitcode,
                    lived,
                    backoff,
                )
                if self._stopping.wait(backoff):
                    return
                self._processes[index] = self._spawn(index)
                self.restarts += 1


def run_ingest_process(
    settings: HubSettings,
    stop: Any,  # a multiprocessing Event
    connected: Any,  # a multiprocessing Value("i"), counts first subscriptions
    parent_pid: int,
    initializer: Initializer | None,
) -> None:
    """The body of one ingest process."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent; it stops us
    if initializer is not None:
        initializer()
    engine = make_engine(settings.require_database_url())
    sessions = make_session_factory(engine)
    service = ingest_service(settings, sessions)
    consumer = IngestConsumer(
        settings, service, sessions, workers=settings.ingest_workers, channels=(Channel.EVENTS,)
    )
    consumer.start()
    counted = False
    try:
        while not stop.wait(PARENT_POLL_SECONDS):
            if not counted and consumer.connected.is_set():
                with connected.get_lock():
                    connected.value += 1
                counted = True
            if os.getppid() != parent_pid:
                log.warning("hub ingest: the main hub process is gone; stopping")
                break
    finally:
        consumer.stop()
        engine.dispose()
