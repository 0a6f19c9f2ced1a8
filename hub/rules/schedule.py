"""Work the hub does on a clock, not on an event: each job a thread that runs one
transaction every `every` seconds until stopped. A job that fails is logged and tried
again at its next turn; it never stops the others."""

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hub.crm.leads.config import LeadSettings
from hub.crm.leads.decay import rescore_aged

log = logging.getLogger(__name__)


class Every:
    def __init__(
        self,
        name: str,
        every: float,
        sessions: sessionmaker[Session],
        work: Callable[[Session], object],
    ) -> None:
        self.name, self.every, self.sessions, self.work = name, every, sessions, work
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs = 0  # finished turns: what a test waits on

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                with self.sessions.begin() as session:
                    self.work(session)
            except Exception:
                log.exception("scheduled job %s failed; next turn in %ss", self.name, self.every)
            self.runs += 1
            self._stop.wait(self.every)


def lead_decay(leads: LeadSettings, sessions: sessionmaker[Session]) -> Every:
    """Leads' behaviour points fade: score again those not scored for a turn."""
    period = timedelta(minutes=leads.decay_every_minutes)

    def work(session: Session) -> int:
        now = datetime.now(UTC)
        return rescore_aged(session, leads.weights, now, period, leads.decay_batch)

    return Every("lead-decay", period.total_seconds(), sessions, work)
