"""The cache follower: sends the stores' gateways the customers that writes outside the
event stream changed (hub/crm/customer_changes.py queues them in `cache_changes`).

A round takes up to `batch` queued rows with SKIP LOCKED (several hub processes share the
queue, each row is taken once), builds the deltas in the same transaction (versions
bumped), and deletes the rows only when that transaction commits after the deltas were
handed to the broker client: a failed round leaves the rows for the next. A customer no
longer cached at a store (merged away, or not the store's any more) is deleted there.
It wakes on the NOTIFY that each mark sends at commit, and looks every `poll_seconds`
anyway (a notification missed while reconnecting)."""

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.customer_changes import CHANNEL, NOTIFY
from hub.crm.customer_stores import stores_of_customers
from hub.gateways.cache_deltas import StoreDelta, deltas_for

log = logging.getLogger(__name__)
Publish = Callable[[list[StoreDelta]], None]

TAKE = text(
    "DELETE FROM cache_changes WHERE id IN (SELECT id FROM cache_changes ORDER BY id "
    "LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING store_id, customer_id"
)


def follow_once(
    sessions: sessionmaker[Session], publish: Publish, max_message_bytes: int, batch: int = 500
) -> int:
    """One round; returns how many queued rows it took (0: the queue was empty)."""
    with sessions.begin() as session:
        rows = session.execute(TAKE, {"n": batch}).all()
        if not rows:
            return 0
        touched: dict[str, set[str]] = defaultdict(set)
        for store_id, customer_id in rows:
            touched[store_id].add(customer_id)
        now_at = stores_of_customers(session, {c for _s, c in rows})
        gone = {s: ids - now_at.get(s, set()) for s, ids in touched.items()}
        deltas = deltas_for(session, touched, datetime.now(UTC), max_message_bytes, gone)
        publish(deltas)  # raises: the transaction rolls back and the rows stay queued
    return len(rows)


class CacheFollower:
    def __init__(
        self,
        engine: Engine,
        sessions: sessionmaker[Session],
        publish: Publish,
        max_message_bytes: int,
        poll_seconds: float = 1.0,
    ) -> None:
        self.engine = engine
        self.sessions = sessions
        self.publish = publish
        self.max_message_bytes = max_message_bytes
        self.poll_seconds = poll_seconds
        self.failures = 0
        self.last_error: str | None = None
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="cache-follower", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        try:  # wakes the listener now rather than after poll_seconds
            with self.sessions.begin() as session:
                session.execute(NOTIFY)
        except Exception:  # the database is gone: the listener ends at its timeout
            log.warning("cache follower: could not wake the listener to stop")
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self._listen()
            except Exception as exc:  # the supervisor of this thread: log, back off, go on
                self.failures += 1
                self.last_error = f"{type(exc).__name__}: {exc}"[:300]
                log.exception("cache follower failed; retrying")
                self._stopping.wait(1.0)

    def _listen(self) -> None:
        # A connection of its own (not the pool's): it stays in autocommit, listening.
        url = self.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(url, autocommit=True) as listener:
            listener.execute(f"LISTEN {CHANNEL}")
            while not self._stopping.is_set():
                while follow_once(self.sessions, self.publish, self.max_message_bytes):
                    self.last_error = None
                # Wakes at the first notification (a burst of them is one round), or after
                # poll_seconds to look anyway and to notice stop().
                for _ in listener.notifies(timeout=self.poll_seconds, stop_after=1):
                    pass
