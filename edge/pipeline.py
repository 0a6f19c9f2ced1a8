"""What the gateway does with one observation: outbox first, then the clerk's prompt.

The order is the guarantee: an observation is durable in the outbox before anything else
happens, so a crash after that point loses nothing. The prompt comes from the local cache
only, so a tap never waits for the network.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from edge.cache import CustomerCache
from edge.errors import OutboxFull
from edge.outbox import Outbox
from edge.outbox_writer import GroupCommitWriter
from edge.pos.retransmission import retransmission_key
from edge.prompt_bus import PromptBus
from edge.prompts import Prompt, compose_prompt, identifier_of, identifiers_of
from edge.readers.base import Observation
from edge.store_locale import DEFAULT_STORE_LOCALE, StoreLocale
from wire.events import (
    Event,
    EventBody,
    PosCheckout,
    PosServiceLogged,
    PromptActed,
    PromptShown,
    ReaderStatus,
)
from wire.messages import CachedCustomer, PurchaseSummary

log = logging.getLogger(__name__)


def purchase_summary(checkout: PosCheckout, at: datetime) -> PurchaseSummary:
    names = ", ".join(
        f"{item.name or item.sku}" + (f" x{item.qty}" if item.qty > 1 else "")
        for item in checkout.items
    )
    return PurchaseSummary(
        at=at,
        receipt_no=checkout.receipt_no,
        summary=names[:200],
        total=checkout.total,
        currency=checkout.currency,
    )


class Pipeline:
    """Turns observations into outbox events and prompts. Thread-safe parts (outbox, cache)
    run in worker threads so the event loop keeps serving the store page."""

    def __init__(
        self,
        outbox: Outbox,
        cache: CustomerCache,
        bus: PromptBus,
        wake_uplink: Callable[[], None],
        on_reader_status: Callable[[ReaderStatus], None],
        service_dedupe_window_s: float = 60.0,
        store_id: str | None = None,
        store_locale: StoreLocale = DEFAULT_STORE_LOCALE,
    ) -> None:
        self.outbox = outbox
        self.writer = GroupCommitWriter(outbox)
        self.cache = cache
        self.bus = bus
        self._wake_uplink = wake_uplink
        self._on_reader_status = on_reader_status
        self._service_window_s = service_dedupe_window_s
        self.store_id = store_id
        self.store_locale = store_locale
        # Prompts of customers this store's cache did not know, until the hub's delta says
        # who they are (the tap itself makes the hub link or create them): id -> its event.
        self._unknown: OrderedDict[UUID, EventBody] = OrderedDict()
        self.counters = {"observations": 0, "prompts": 0, "refused": 0, "duplicates": 0}
        self.on_event: Callable[[Event], None] | None = None  # an observer (the demo's live lines)

    async def handle(self, observation: Observation) -> Event | None:
        """Store the observation durably and show its prompt; returns once the event is
        durable. Raises OutboxFull only for events a caller must refuse (the POS hook
        answers 503); the prompt is shown regardless. A POS record already stored (a
        retransmission) returns the stored event and prompts nothing new: the POS gets its
        202/ACK, since the record is durable."""
        body = observation.body
        self.counters["observations"] += 1
        if isinstance(body, ReaderStatus):
            self._on_reader_status(body)
        keyed = retransmission_key(body, self._service_window_s)
        storing = asyncio.ensure_future(
            self.writer.append_keyed(body, observation.occurred_at, keyed)
        )
        # A tap's prompt runs beside the append: it comes from the cache and need not wait
        # for the fsync (tens of ms on an SD card). A POS record may be a retransmission,
        # so its prompt waits to learn that; the till waits for durability anyway.
        prompt = await self._show_prompt(observation) if keyed is None else None
        event: Event | None = None
        refused: OutboxFull | None = None
        try:
            appended = await storing
            event = appended.event
            if appended.duplicate:
                self.counters["duplicates"] += 1
                log.info("retransmitted %s answered with seq %d", event.type, event.seq)
                return event
            self._stored(event)
        except OutboxFull as exc:
            self.counters["refused"] += 1
            log.error("outbox full, %s not uplinked: %s", body.__class__.__name__, exc)
            refused = exc
        if keyed is not None:
            prompt = await self._show_prompt(observation)
        if prompt is not None:
            await self._record(
                PromptShown(
                    prompt_id=prompt.prompt_id,
                    trigger=prompt.trigger,
                    customer_id=prompt.customer_id,
                    identifier=prompt.identifier,
                )
            )
        if refused is not None and not isinstance(body, ReaderStatus):
            raise refused
        return event

    async def _show_prompt(self, observation: Observation) -> Prompt | None:
        try:
            return await self._prompt(observation)
        except Exception:  # a broken prompt must never cost the event being stored
            log.exception("prompt for %s failed", observation.body.__class__.__name__)
            return None

    async def _prompt(self, observation: Observation) -> Prompt | None:
        body = observation.body
        identifier = identifier_of(body)
        if isinstance(body, PosCheckout) and identifier is not None:
            summary = purchase_summary(body, observation.occurred_at)
            await asyncio.to_thread(self.cache.note_purchase, identifier, summary)
        prompt = self._compose(body)
        if prompt is not None:
            self.bus.publish(prompt)
            self.counters["prompts"] += 1
            if prompt.membership == "unknown":
                self._unknown[prompt.prompt_id] = body
                while len(self._unknown) > self.bus.keep:
                    self._unknown.popitem(last=False)
        return prompt

    def _compose(
        self, body: EventBody, prompt_id: UUID | None = None, now: datetime | None = None
    ) -> Prompt | None:
        """Every identifier the observation carries is tried before anyone is called new."""
        found = self.cache.lookup_any(identifiers_of(body))
        identifier, customer = found if found is not None else (None, None)
        return compose_prompt(
            body,
            customer,
            identifier=identifier,
            store_id=self.store_id,
            store_locale=self.store_locale,
            prompt_id=prompt_id,
            now=now,
        )

    def refresh_unknown(self, upserts: Iterable[CachedCustomer] | None = None) -> int:
        """After the cache changed: redraw the kept prompts of unknown customers that it now
        knows (a member of another store, or the provisional record the tap made); only
        those whose identifiers `upserts` names, when given. With the network up this
        follows a tap within the hub's projection lag; offline it waits."""
        named = None
        if upserts is not None:
            named = {(i.kind, i.value) for customer in upserts for i in customer.identifiers}
        redrawn = 0
        for prompt_id, body in list(self._unknown.items()):
            if named is not None and not any(
                (i.kind, i.value) in named for i in identifiers_of(body)
            ):
                continue
            shown = self.bus.get(prompt_id)
            prompt = self._compose(body, prompt_id, shown.created_at if shown else None)
            if shown is not None and prompt is not None and prompt.membership == "unknown":
                continue  # not in the cache yet (say, a snapshot part still staged)
            del self._unknown[prompt_id]
            if shown is not None and prompt is not None and self.bus.replace(prompt):
                redrawn += 1
        return redrawn

    async def acted(
        self, prompt_id: UUID, action: Literal["done", "dismissed"], staff_id: str | None
    ) -> None:
        """A clerk marked a prompt; OutboxFull propagates so the page can say 'try again'."""
        prompt: Prompt | None = self.bus.get(prompt_id)
        body = PromptActed(
            prompt_id=prompt_id,
            action=action,
            staff_id=staff_id,
            customer_id=prompt.customer_id if prompt else None,
        )
        self._stored(await self.writer.append(body, datetime.now(UTC)))

    async def service_logged(
        self,
        prompt_id: UUID,
        service_type: str,
        staff_id: str | None,
        for_customer_id: str | None = None,
    ) -> None:
        """A clerk ticked a counter service on a prompt: a `pos.service_logged` of the
        prompt's customer (by the identifier they were found by, which the hub resolves as
        it resolved the tap). OutboxFull propagates so the page can say 'try again'."""
        prompt = self.bus.get(prompt_id)
        body = PosServiceLogged(
            service_type=service_type,
            member=prompt.identifier if prompt else None,
            staff_id=staff_id,
            for_customer_id=for_customer_id,
        )
        self._stored(await self.writer.append(body, datetime.now(UTC)))

    async def _record(self, body: PromptShown) -> None:
        try:
            self._stored(await self.writer.append(body, datetime.now(UTC)))
        except OutboxFull as exc:  # low priority by policy; the clerk still saw the prompt
            self.counters["refused"] += 1
            log.warning("prompt.shown not recorded: %s", exc)

    def _stored(self, event: Event) -> None:
        self._wake_uplink()
        if self.on_event is not None:
            self.on_event(event)
