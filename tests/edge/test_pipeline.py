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
from wire.messages import CachedCustomer, CacheDelta

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


def _tap(uid: str, member_no: str | None = None) -> Observation:
    return Observation(CardTapped(uid=uid, technology="T", reader="nfc0", member_no=member_no))


def _member(customer_id: str, *identifiers: Identifier, **extra: object) -> CachedCustomer:
    return CachedCustomer(
        customer_id=customer_id,
        display_name="Li *",
        identifiers=list(identifiers),
        updated_at=datetime.now(UTC),
        **extra,
    )


def test_a_new_uid_with_a_known_member_number_prompts_the_member(tmp_path: Path) -> None:
    """Issue 12 item 5: every identifier of the tap is tried before anyone is called new."""

    async def scenario() -> None:
        pipeline, bus = _pipeline(tmp_path, Outbox(tmp_path / "o.db", "gw-1"))
        member = Identifier(kind=IdentifierKind.MEMBER_NO, value="M1001")
        pipeline.cache.apply(
            CacheDelta(store_id="s", version=2, base_version=1, upserts=[_member("cus-9", member)])
        )
        await pipeline.handle(_tap("0A0B0C0D0E0F01", member_no="M1001"))
        [(prompt, _state)] = bus.recent()
        assert (prompt.customer_id, prompt.display_name) == ("cus-9", "Li *")
        assert prompt.membership == "member" and not prompt.is_new_customer
        assert prompt.identifier == member, "prompt.shown names the identifier that matched"

    asyncio.run(scenario())


def test_an_unknown_card_is_redrawn_when_the_hubs_delta_names_it(tmp_path: Path) -> None:
    """Issue 12 item 6: a member of another store shows as new, then the hub's delta (the
    tap made the hub link the card) redraws the same card, and the clerk's Done stays."""

    async def scenario() -> None:
        pipeline, bus = _pipeline(tmp_path, Outbox(tmp_path / "o.db", "gw-1"))
        pipeline.store_id = "s"
        await pipeline.handle(_tap("CAFE0001"))
        await pipeline.handle(_tap("CAFE0002"))
        [(other, _), (first, _)] = bus.recent()
        assert first.membership == other.membership == "unknown"
        bus.settle(first.prompt_id, "done")
        card = Identifier(kind=IdentifierKind.CARD_UID, value="CAFE0001")
        elsewhere = _member("cus-7", card, home_store_id="s2", home_store_name="Jing'an")
        delta = CacheDelta(store_id="s", version=2, base_version=1, upserts=[elsewhere])
        pipeline.cache.apply(delta)
        assert pipeline.refresh_unknown(delta.upserts) == 1
        kept = {p.prompt_id: (p, state) for p, state in bus.recent()}
        redrawn, state = kept[first.prompt_id]
        assert (redrawn.customer_id, redrawn.known_at, state) == ("cus-7", "Jing'an", "done")
        assert redrawn.created_at == first.created_at and len(kept) == 2
        assert kept[other.prompt_id][0].membership == "unknown"
        assert pipeline.refresh_unknown(delta.upserts) == 0, "redrawn once"

    asyncio.run(scenario())
