"""Cache messages stay within the message size: deltas are cut by count and by bytes
(each still follows the one before), and a snapshot over its customer cap takes the most
recently updated ones. Every message a real edge cache is given applies."""

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from edge.cache.store import CustomerCache
from hub.gateways import cache_parts
from hub.gateways.cache_sync import read_snapshot, stale_store_version
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, payload, tap
from wire.codec import decode_cache_delta, encode
from wire.identity import Identifier, IdentifierKind
from wire.message_size import DEFAULT_MAX_MESSAGE_BYTES
from wire.messages import CachedCustomer

T0 = datetime(2026, 11, 1, tzinfo=UTC)
STORE, GATEWAY = "store-sh-jingan", "gw-demo-2"


def entry(n: int, identifiers: int) -> CachedCustomer:
    return CachedCustomer(
        customer_id=f"cus-{n:05d}",
        display_name="Guest",
        identifiers=[
            Identifier(kind=IdentifierKind.CARD_UID, value=f"{n:06X}{k:04X}")
            for k in range(identifiers)
        ],
        updated_at=T0 + timedelta(seconds=n),
    )


def json_size(part: list[CachedCustomer]) -> int:
    return len(cache_parts._ENTRIES.dump_json(part))


@settings(max_examples=60, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 50), max_size=40),
    max_count=st.integers(1, 12),
    max_bytes=st.integers(200, 6000),
)
def test_parts_keep_order_and_stay_within_count_and_bytes(
    sizes: list[int], max_count: int, max_bytes: int
) -> None:
    entries = [entry(n, k) for n, k in enumerate(sizes)]
    cut = cache_parts.parts(entries, max_count, max_bytes)
    assert [e for part in cut for e in part] == entries
    for part in cut:
        assert 1 <= len(part) <= max_count
        assert json_size(part) <= max_bytes or len(part) == 1  # one huge entry: its own part


def test_deltas_of_a_big_round_are_cut_and_all_apply_at_the_gateway(
    ingest: IngestService,
    projector: ConsumerRunner,
    sessions: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    taps = [tap(f"BEEF{n:06X}") for n in range(40)]
    ingest.commit_batch(GATEWAY, payload(batch(GATEWAY, taps)), T0)
    touched = projector.drain().touched
    new = touched[STORE]
    assert len(new) == 40
    one_entry = json_size(ingest.cache_delta_for(STORE, {min(new)}).upserts)
    max_message = one_entry * 7 + cache_parts.ENVELOPE_BYTES  # ~6 a message
    gateway_cache = CustomerCache(tmp_path / "cache.sqlite3").open()
    stale = stale_store_version(sessions, GATEWAY, 0)
    assert stale is not None
    gateway_cache.replace_all([], stale[1])  # at the store's

    deltas = [d.delta for d in ingest.cache_deltas_for({STORE: new}, max_message)]
    assert len(deltas) >= 6
    for delta in deltas:
        assert json_size(delta.upserts) <= one_entry * 7
        received = decode_cache_delta(encode(delta))  # what the gateway's uplink gets
        assert gateway_cache.apply(received).applied
    assert [d.version for d in deltas] == list(range(deltas[0].version, deltas[-1].version + 1))
    assert {c for d in deltas for c in (e.customer_id for e in d.upserts)} == new
    assert len(gateway_cache) == 40
    gateway_cache.close()


def test_a_snapshot_over_its_cap_takes_the_newest_and_says_so(
    ingest: IngestService,
    projector: ConsumerRunner,
    sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    later = datetime.now(UTC) + timedelta(minutes=1)  # after the demo seed's customers
    for n in range(12):  # one at a time: the later, the more recently updated
        sent = batch(GATEWAY, [tap(f"FACE{n:06X}")])
        ingest.commit_batch(GATEWAY, payload(sent), later + timedelta(minutes=n))
        projector.drain()
    stale = stale_store_version(sessions, GATEWAY, 0)
    assert stale is not None

    with caplog.at_level(logging.WARNING):
        built = read_snapshot(sessions, STORE, stale[1], 5, DEFAULT_MAX_MESSAGE_BYTES)
    [message] = [decode_cache_delta(p) for p in built.payloads]
    newest = {f"FACE{n:06X}" for n in range(7, 12)}
    assert {e.identifiers[0].value for e in message.upserts} == newest
    assert f"holds 5 of its {12 + 10} customers: the newest 5 at most" in caplog.text
