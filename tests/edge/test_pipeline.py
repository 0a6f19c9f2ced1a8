"""The pipeline's ordering guarantees, with a real outbox and cache; a slow disk is a
subclass of the real outbox whose commit waits (an SD card's fsync)."""

import asyncio
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.cache import CustomerCache
from edge.errors import OutboxFull
from edge.outbox import Outbox
from edge.outbox_file import Appended
from edge.outbox_keys import KeyedItem
from edge.pipeline import Pipeline
from edge.readers.base import Observation
from edge.store_page import PromptBus
from wire.events import CardTapped, LineItem, PosCheckout
from wire.identity import Identifier, IdentifierKind
from wire.messages import CachedCustomer

UID = "04A1B2C3D4E5F6"


class SlowDiskOutbox(Outbox):
    """Commits only when the test releases it."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, "gw-1")
        self.release = threading.Event()

    def append_batch(self, items: list[KeyedItem], *, trial: bool = False) -> list[Appended]:
        self.release.wait(10)
        return super().append_batch(items, trial=trial)


def _customer() -> CachedCustomer:
    return CachedCustomer(
        customer_id="cus-1",
        display_name="Wang *",
        identifiers=[Identifier(kind=IdentifierKind.CARD_UID, value=UID)],
        updated_at=datetime.now(UTC),
    )


def _pipeline(tmp_path: Path, outbox: Outbox) -> tuple[Pipeline, PromptBus]:
    outbox.open()
    cache = CustomerCache(tmp_path / "cache.db").open()
    cache.replace_all([_customer()], 1)
    bus = PromptBus()
    return Pipeline(outbox, cache, bus, lambda: None, lambda _s: None), bus


def test_the_prompt_does_not_wait_for_the_fsync_but_handle_does(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = SlowDiskOutbox(tmp_path / "o.db")
        pipeline, bus = _pipeline(tmp_path, outbox)
        tap = Observation(CardTapped(uid=UID, technology="T", reader="nfc0"))
        handling = asyncio.create_task(pipeline.handle(tap))
        for _ in range(200):
            if bus.recent():
                break
            await asyncio.sleep(0.01)
        assert [p.display_name for p, _ in bus.recent()] == ["Wang *"]
        assert not handling.done(), "handle() returns only once the event is durable"
        assert outbox.stats().depth == 0
        outbox.release.set()
        event = await handling
        assert event is not None and event.seq == 1
        types = [p.payload for p in outbox.pending(0, 10, 10**6)]
        assert b'"card.tapped"' in types[0] and b'"prompt.shown"' in types[1]

    asyncio.run(scenario())


def test_a_full_outbox_refuses_the_checkout_but_the_clerk_still_sees_it(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        pipeline, bus = _pipeline(tmp_path, Outbox(tmp_path / "o.db", "gw-1", max_bytes=10))
        member = Identifier(kind=IdentifierKind.CARD_UID, value=UID)
        checkout = PosCheckout(
            receipt_no="R1",
            items=[LineItem(sku="A", qty=1, unit_price=100)],
            total=100,
            member=member,
        )
        with pytest.raises(OutboxFull):
            await pipeline.handle(Observation(checkout))
        assert [p.trigger for p, _ in bus.recent()] == ["pos.checkout"]
        assert pipeline.counters["refused"] == 2  # the checkout, then its prompt.shown

    asyncio.run(scenario())
