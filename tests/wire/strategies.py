"""Hypothesis strategies for valid wire messages (shared by the codec and hub fuzzers)."""

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from wire.events import (
    CardTapped,
    EventBody,
    IdCardRead,
    LeadCaptured,
    LineItem,
    PosCheckout,
    PosServiceLogged,
    PromptActed,
    PromptShown,
    ReaderStatus,
    make_event,
)
from wire.identity import Identifier, IdentifierKind
from wire.messages import MAX_BATCH_EVENTS, EventBatch
from wire.topics import GATEWAY_ID_PATTERN

# Text the contract carries: any Unicode scalar but NUL (PostgreSQL text cannot hold it).
texts = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
nonempty = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1, max_size=40)
gateway_ids = st.from_regex(GATEWAY_ID_PATTERN, fullmatch=True)
zones = st.sampled_from([UTC, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])
instants = st.datetimes(
    min_value=datetime(2001, 1, 1), max_value=datetime(2099, 12, 31), timezones=zones
)
hashes = st.from_regex(r"[0-9a-f]{64}", fullmatch=True)
identifiers = st.one_of(
    st.builds(
        Identifier,
        kind=st.sampled_from([IdentifierKind.CARD_UID, IdentifierKind.MEMBER_NO]),
        value=nonempty,
    ),
    st.builds(
        Identifier,
        kind=st.sampled_from([IdentifierKind.ID_HASH, IdentifierKind.PHONE_HASH]),
        value=hashes,
    ),
)
line_items = st.lists(
    st.builds(
        LineItem,
        sku=texts,
        name=texts,
        qty=st.integers(1, 100_000),
        # 3 lines of 100,000 x 10^4 stay within the money bound of the total (10^10)
        unit_price=st.integers(-(10**4), 10**4),
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def checkouts(draw: st.DrawFn) -> PosCheckout:
    """A checkout whose total is its lines (the contract refuses any other)."""
    items = draw(line_items)
    return PosCheckout(
        receipt_no=draw(nonempty),
        items=items,
        total=sum(i.qty * i.unit_price for i in items),
        currency=draw(st.from_regex(r"[A-Z]{3}", fullmatch=True)),
        member=draw(st.none() | identifiers),
        staff_id=draw(st.none() | texts),
        terminal=draw(texts),
    )


bodies: st.SearchStrategy[EventBody] = st.one_of(
    st.builds(
        CardTapped,
        uid=st.from_regex(r"[0-9A-F]{8,20}", fullmatch=True),
        technology=texts,
        reader=texts,
        member_no=st.none() | texts,
    ),
    st.builds(
        IdCardRead,
        card_hash=hashes,
        profile=texts,
        reader=texts,
    ),
    checkouts(),
    st.builds(PosServiceLogged, service_type=nonempty, note=texts, member=st.none() | identifiers),
    st.builds(PromptShown, prompt_id=st.uuids(), trigger=texts, identifier=st.none() | identifiers),
    st.builds(
        PromptActed, prompt_id=st.uuids(), action=st.sampled_from(["done", "dismissed"]), note=texts
    ),
    st.builds(LeadCaptured, source=texts, name=texts, contact=st.none() | identifiers, note=texts),
    st.builds(
        ReaderStatus,
        reader=texts,
        kind=st.sampled_from(["nfc", "smartcard", "pos_serial", "pos_http"]),
        state=st.sampled_from(["up", "down", "error"]),
        detail=texts,
    ),
)


@st.composite
def batches(
    draw: st.DrawFn,
    gateway_id: str | None = None,
    max_events: int = 5,
    first_seq: int | None = None,
) -> EventBatch:
    """A valid batch: consecutive seqs from one outbox epoch, all of one gateway."""
    gw = gateway_id or draw(gateway_ids)
    start = first_seq if first_seq is not None else draw(st.integers(1, 2**62))
    chosen = draw(st.lists(bodies, min_size=1, max_size=min(max_events, MAX_BATCH_EVENTS)))
    events = [
        make_event(
            body,
            event_id=draw(st.uuids()),
            gateway_id=gw,
            seq=start + i,
            occurred_at=draw(instants),
        )
        for i, body in enumerate(chosen)
    ]
    return EventBatch(gateway_id=gw, epoch=draw(st.uuids()), sent_at=draw(instants), events=events)
