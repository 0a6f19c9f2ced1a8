"""`PromptBus` fans prompts out to every open store page.

It keeps the last `keep` prompts (and whether they were acted on) for a page that connects
late or reconnects. Each subscriber has a bounded queue; one that falls `subscriber_limit`
notices behind is dropped (its stream ends, the browser reconnects and gets the recent
prompts again), so a stuck tablet can never block a publisher. `publish()` may be called
from any thread.
"""

import asyncio
import logging
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

from prometheus_client import Counter

from edge.prompts import Prompt

log = logging.getLogger(__name__)

Action = Literal["done", "dismissed"]
PromptState = Literal["open", "acting", "done", "dismissed"]

PUBLISHED = Counter("storepulse_prompts_published_total", "Prompts published to store pages")
DROPPED = Counter("storepulse_prompt_subscribers_dropped_total", "Slow store pages dropped")


@dataclass(frozen=True)
class Notice:
    """One server-sent event, serialised once for all subscribers."""

    event: Literal["prompt", "acted"]
    data: str


def prompt_notice(prompt: Prompt, state: PromptState) -> Notice:
    shown = "open" if state == "acting" else state
    body = prompt.model_dump_json()[:-1] + f',"state":"{shown}"}}'
    return Notice("prompt", body)


class Subscription:
    """One page's queue; lives on the event loop that serves the page."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limit: int) -> None:
        self._loop = loop
        self._limit = limit
        self._items: deque[Notice] = deque()
        self._ready = asyncio.Event()
        self.closed = False

    def post(self, notice: Notice | None) -> bool:
        """Deliver (None = close) from any thread; False if the page's loop is gone."""
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self._loop:
            self._deliver(notice)
            return True
        try:
            self._loop.call_soon_threadsafe(self._deliver, notice)
        except RuntimeError:  # loop closed
            return False
        return True

    def _deliver(self, notice: Notice | None) -> None:
        if self.closed:
            return
        if notice is None or len(self._items) >= self._limit:
            if notice is not None:
                DROPPED.inc()
                log.warning("store page fell %d prompts behind; dropped", self._limit)
            self.closed = True
            self._items.clear()
        else:
            self._items.append(notice)
        self._ready.set()

    async def ready(self, timeout: float) -> bool:
        """Wait until `next()` would answer at once; False if `timeout` passed first."""
        if self.closed or self._items:
            return True
        self._ready.clear()
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def next(self) -> Notice | None:
        """The next notice, or None once this subscription is closed or dropped."""
        while not self.closed:
            if self._items:
                return self._items.popleft()
            self._ready.clear()
            await self._ready.wait()
        return None


class PromptBus:
    def __init__(self, keep: int = 100, subscriber_limit: int = 256) -> None:
        self.keep = keep
        self.subscriber_limit = subscriber_limit
        self._lock = threading.Lock()
        self._entries: OrderedDict[UUID, tuple[Prompt, PromptState]] = OrderedDict()
        self._subscribers: set[Subscription] = set()

    def publish(self, prompt: Prompt) -> None:
        with self._lock:
            self._entries[prompt.prompt_id] = (prompt, "open")
            while len(self._entries) > self.keep:
                self._entries.popitem(last=False)
        PUBLISHED.inc()
        self._fan_out(prompt_notice(prompt, "open"))

    def replace(self, prompt: Prompt) -> bool:
        """Update a kept prompt in place (same id, its state kept), e.g. once the hub has
        told us who an unknown card belongs to; every open page redraws that card. False
        if the prompt is no longer kept."""
        with self._lock:
            entry = self._entries.get(prompt.prompt_id)
            if entry is None:
                return False
            prompt = prompt.model_copy(update={"services_logged": entry[0].services_logged})
            self._entries[prompt.prompt_id] = (prompt, entry[1])
        self._fan_out(prompt_notice(prompt, entry[1]))
        return True

    def tick(self, prompt_id: UUID, service_type: str) -> Literal["ticked", "unknown", "already"]:
        """Mark a counter service as logged on a prompt, so two taps make one event;
        `untick` if the event could not be stored, `redraw` once it is."""
        with self._lock:
            entry = self._entries.get(prompt_id)
            if entry is None:
                return "unknown"
            prompt, state = entry
            if service_type in prompt.services_logged:
                return "already"
            logged = [*prompt.services_logged, service_type]
            self._entries[prompt_id] = (
                prompt.model_copy(update={"services_logged": logged}),
                state,
            )
        return "ticked"

    def untick(self, prompt_id: UUID, service_type: str) -> None:
        with self._lock:
            entry = self._entries.get(prompt_id)
            if entry is None:
                return
            prompt, state = entry
            logged = [s for s in prompt.services_logged if s != service_type]
            self._entries[prompt_id] = (
                prompt.model_copy(update={"services_logged": logged}),
                state,
            )

    def redraw(self, prompt_id: UUID) -> None:
        """Send a kept prompt again to every open page (say, with a service ticked)."""
        with self._lock:
            entry = self._entries.get(prompt_id)
        if entry is not None:
            self._fan_out(prompt_notice(*entry))

    def recent(self) -> list[tuple[Prompt, PromptState]]:
        """Kept prompts with their state, newest first."""
        with self._lock:
            return list(reversed(self._entries.values()))

    def get(self, prompt_id: UUID) -> Prompt | None:
        with self._lock:
            entry = self._entries.get(prompt_id)
        return entry[0] if entry else None

    def subscribe(self) -> tuple[Subscription, list[Notice]]:
        """Register a page (call on its event loop); returns it with the kept prompts,
        oldest first, taken atomically so nothing published meanwhile is missed."""
        subscription = Subscription(asyncio.get_running_loop(), self.subscriber_limit)
        with self._lock:
            self._subscribers.add(subscription)
            backlog = [prompt_notice(p, s) for p, s in self._entries.values()]
        return subscription, backlog

    def unsubscribe(self, subscription: Subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)
        subscription.post(None)

    def claim(self, prompt_id: UUID) -> Literal["claimed", "unknown", "taken"]:
        """Mark a prompt as being acted on, so two clicks make one `prompt.acted`."""
        with self._lock:
            entry = self._entries.get(prompt_id)
            if entry is None:
                return "unknown"
            if entry[1] != "open":
                return "taken"
            self._entries[prompt_id] = (entry[0], "acting")
            return "claimed"

    def release(self, prompt_id: UUID) -> None:
        self._set_state(prompt_id, "open")

    def settle(self, prompt_id: UUID, action: Action) -> None:
        if self._set_state(prompt_id, action):
            data = f'{{"prompt_id":"{prompt_id}","state":"{action}"}}'
            self._fan_out(Notice("acted", data))

    def _set_state(self, prompt_id: UUID, state: PromptState) -> bool:
        with self._lock:
            entry = self._entries.get(prompt_id)
            if entry is not None:
                self._entries[prompt_id] = (entry[0], state)
        return entry is not None

    def close(self) -> None:
        """End every page's stream (at shutdown); pages reconnect to the next server."""
        with self._lock:
            subscribers, self._subscribers = self._subscribers, set()
        for subscription in subscribers:
            subscription.post(None)

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"subscribers": len(self._subscribers), "prompts": len(self._entries)}

    def _fan_out(self, notice: Notice) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for subscription in subscribers:
            if not subscription.post(notice) or subscription.closed:
                with self._lock:
                    self._subscribers.discard(subscription)
