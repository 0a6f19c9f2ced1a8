import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.errors import OutboxFull
from edge.outbox import Outbox
from wire.events import (
    CardTapped,
    LineItem,
    PosCheckout,
    PosServiceLogged,
    PromptShown,
    ReaderStatus,
)
from wire.messages import SeqRange


def _tap(n: int = 0) -> CardTapped:
    return CardTapped(uid=f"{0x04A1B2C3 + n:08X}", technology="Type3Tag", reader="nfc0")


def _open(path: Path, **kwargs: object) -> Outbox:
    outbox = Outbox(path, "gw-1", **kwargs)  # type: ignore[arg-type]
    outbox.open()
    return outbox


def test_seq_and_epoch_survive_reopen_and_never_go_back(tmp_path: Path) -> None:
    outbox = _open(tmp_path / "o.db")
    first = [outbox.append(_tap(i)).seq for i in range(3)]
    epoch = outbox.epoch
    outbox.acknowledge([SeqRange(first=1, last=3)])
    assert outbox.stats().depth == 0
    outbox.close()

    again = _open(tmp_path / "o.db")
    assert first == [1, 2, 3]
    assert again.epoch == epoch
    assert again.append(_tap()).seq == 4, "an emptied outbox must not restart its seq"


def test_a_new_file_is_a_new_epoch(tmp_path: Path) -> None:
    a = _open(tmp_path / "a.db")
    b = _open(tmp_path / "b.db")
    assert a.epoch != b.epoch
    assert a.append(_tap()).seq == b.append(_tap()).seq == 1


def test_pending_respects_cursor_and_limits(tmp_path: Path) -> None:
    outbox = _open(tmp_path / "o.db")
    outbox.append_many([(_tap(i), datetime.now(UTC)) for i in range(10)])
    assert [p.seq for p in outbox.pending(0, 4, 10**6)] == [1, 2, 3, 4]
    assert [p.seq for p in outbox.pending(8, 100, 10**6)] == [9, 10]
    one = outbox.pending(0, 100, 1)
    assert len(one) == 1, "a single event larger than max_bytes still goes alone"
    outbox.acknowledge([SeqRange(first=2, last=3), SeqRange(first=5, last=5)])
    assert [p.seq for p in outbox.pending(0, 100, 10**6)] == [1, 4, 6, 7, 8, 9, 10]


def test_full_outbox_refuses_low_priority_first_and_keeps_what_it_has(tmp_path: Path) -> None:
    size = len(_open(tmp_path / "probe.db").append(_tap()).model_dump_json())
    outbox = _open(tmp_path / "o.db", max_bytes=size * 10 + size // 2, low_priority_ratio=0.5)
    for i in range(5):
        outbox.append(_tap(i))
    with pytest.raises(OutboxFull):
        outbox.append(ReaderStatus(reader="nfc0", kind="nfc", state="up"))
    for i in range(5):
        outbox.append(_tap(i))
    with pytest.raises(OutboxFull):
        outbox.append(_tap(99))
    stats = outbox.stats()
    assert stats.depth == 10
    assert stats.refused == {"reader.status": 1, "card.tapped": 1}
    outbox.acknowledge([SeqRange(first=1, last=10)])
    assert outbox.append(_tap()).seq == 11, "room again once the hub acked"


def test_dead_letters_keep_reason_and_raw(tmp_path: Path) -> None:
    outbox = _open(tmp_path / "o.db")
    outbox.dead_letter("pos0", "bad checksum", b"\x02junk\x03")
    assert outbox.dead_letters() == [("pos0", "bad checksum", b"\x02junk\x03")]
    assert outbox.stats().dead_letters == 1


CHILD = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from edge.outbox import Outbox
    from wire.events import CardTapped
    outbox = Outbox(Path(sys.argv[1]), "gw-1")
    outbox.open()
    i = 0
    while True:
        event = outbox.append(CardTapped(uid=f"{i:08X}", technology="T", reader="r"))
        print(event.seq, flush=True)
        i += 1
    """
)


def test_every_acknowledged_append_survives_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "o.db"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        stdout=subprocess.PIPE,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert child.stdout is not None
    reported = [int(child.stdout.readline()) for _ in range(300)]
    child.send_signal(signal.SIGKILL)
    child.wait(10)

    outbox = _open(path)
    stored = [p.seq for p in outbox.pending(0, 100_000, 10**9)]
    assert set(reported) <= set(stored)
    assert stored == list(range(1, len(stored) + 1)), "no holes"
    assert outbox.append(_tap()).seq == len(stored) + 1


def test_prompt_shown_round_trips_through_storage(tmp_path: Path) -> None:
    import uuid

    outbox = _open(tmp_path / "o.db")
    event = outbox.append(PromptShown(prompt_id=uuid.uuid4(), trigger="card.tapped"))
    (pending,) = outbox.pending(0, 10, 10**6)
    assert pending.payload == event.model_dump_json().encode()


# -- retransmissions (dedupe keys) ----------------------------------------------------


class _Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def _keys(path: Path) -> int:
    with sqlite3.connect(path) as db:
        count: int = db.execute("SELECT count(*) FROM dedupe_keys").fetchone()[0]
    return count


def _checkout(receipt: str = "R1") -> PosCheckout:
    return PosCheckout(
        receipt_no=receipt, total=500, items=[LineItem(sku="SKU1", qty=1, unit_price=500)]
    )


def test_a_retransmission_stores_nothing_and_returns_the_first_event(tmp_path: Path) -> None:
    outbox = _open(tmp_path / "o.db")
    first = outbox.append_keyed(_checkout(), dedupe_key="pos:T1:R1")
    again = outbox.append_keyed(_checkout(), dedupe_key="pos:T1:R1")
    other = outbox.append_keyed(_checkout("R2"), dedupe_key="pos:T1:R2")
    assert not first.duplicate and again.duplicate and not other.duplicate
    assert (again.event.seq, again.event.event_id) == (first.event.seq, first.event.event_id)
    assert again.event.occurred_at == first.event.occurred_at
    assert [p.seq for p in outbox.pending(0, 10, 10**6)] == [1, 2]
    stats = outbox.stats()
    assert stats.duplicates == {"pos.checkout": 1}
    assert _keys(tmp_path / "o.db") == 2
    assert stats.next_seq == 3


def test_the_key_outlives_the_ack_and_a_restart(tmp_path: Path) -> None:
    """The POS may re-send after the hub already has the event: still a duplicate."""
    outbox = _open(tmp_path / "o.db")
    seq = outbox.append(_checkout(), dedupe_key="pos:T1:R1").seq
    outbox.acknowledge([SeqRange(first=seq, last=seq)])
    outbox.close()
    reopened = _open(tmp_path / "o.db")
    again = reopened.append_keyed(_checkout(), dedupe_key="pos:T1:R1")
    assert again.duplicate and again.event.seq == seq
    assert reopened.stats().depth == 0


def test_keys_expire_after_their_window_and_are_pruned(tmp_path: Path) -> None:
    clock = _Clock()
    outbox = _open(tmp_path / "o.db", dedupe_window_s=3600.0, clock=clock)
    outbox.append(_checkout(), dedupe_key="pos:T1:R1")
    outbox.append(PosServiceLogged(service_type="bp_check"), dedupe_key="svc", dedupe_window_s=60)
    clock.now += 61
    assert outbox.append_keyed(_checkout(), dedupe_key="pos:T1:R1").duplicate
    svc = outbox.append_keyed(
        PosServiceLogged(service_type="bp_check"), dedupe_key="svc", dedupe_window_s=60
    )
    assert not svc.duplicate, "a short window: an identical note later is a new note"
    clock.now += 3601
    reused = outbox.append_keyed(_checkout(), dedupe_key="pos:T1:R1")
    assert not reused.duplicate, "a receipt number reused after the window is a new sale"
    assert _keys(tmp_path / "o.db") == 1, "keys older than the window were pruned"


def test_a_retransmission_is_accepted_when_full_and_a_refusal_keeps_no_key(
    tmp_path: Path,
) -> None:
    size = len(_open(tmp_path / "probe.db").append(_checkout()).model_dump_json())
    outbox = _open(tmp_path / "o.db", max_bytes=size * 2 + size // 2)
    outbox.append(_checkout("R1"), dedupe_key="k1")
    outbox.append(_checkout("R2"), dedupe_key="k2")
    with pytest.raises(OutboxFull):
        outbox.append(_checkout("R3"), dedupe_key="k3")
    assert outbox.append_keyed(_checkout("R1"), dedupe_key="k1").duplicate, "already durable"
    outbox.acknowledge([SeqRange(first=1, last=2)])
    stored = outbox.append_keyed(_checkout("R3"), dedupe_key="k3")
    assert not stored.duplicate, "the refused append left no key behind"
    assert stored.event.seq == 3
