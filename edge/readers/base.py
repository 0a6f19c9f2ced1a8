"""The one interface every reader adapter implements: an async stream of observations.

nfcpy and pyscard block, so `ThreadedReader` runs the library loop in a thread and
hands observations to the event loop through a queue.
"""

import asyncio
import threading
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from wire.events import EventBody

ReaderKind = Literal["nfc", "smartcard", "pos_serial", "pos_http"]
ReaderStateName = Literal["up", "down", "error"]


@dataclass(frozen=True)
class Observation:
    """Something a reader saw; the gateway turns it into an event (seq, id) in the outbox."""

    body: EventBody
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class ReaderHealth:
    state: ReaderStateName = "down"
    detail: str = ""
    errors: int = 0  # bad reads (garbage cards, bad frames) since start


class Reader(ABC):
    """A source of observations. Constructors do no I/O; `observations()` opens the device."""

    name: str
    kind: ReaderKind

    def __init__(self, name: str) -> None:
        self.name = name
        self.health = ReaderHealth()

    @abstractmethod
    def observations(self) -> AsyncIterator[Observation]:
        """Yield observations until cancelled; reconnects by itself when the device goes away."""


Emit = Callable[[Observation], None]


class ThreadedReader(Reader):
    """Runs a blocking library loop (`run_blocking`) in a daemon thread."""

    @abstractmethod
    def run_blocking(self, emit: Emit, stop: threading.Event) -> None:
        """Read until `stop` is set, calling `emit` per observation; must return soon after stop."""

    async def observations(self) -> AsyncIterator[Observation]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Observation] = asyncio.Queue()
        stop = threading.Event()

        def emit(observation: Observation) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, observation)

        thread = threading.Thread(
            target=self.run_blocking, args=(emit, stop), name=f"reader-{self.name}", daemon=True
        )
        thread.start()
        try:
            while True:
                yield await queue.get()
        finally:
            stop.set()
            await asyncio.to_thread(thread.join, 5.0)
