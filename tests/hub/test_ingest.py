"""Exactly-once commit of event batches."""

import json
import logging
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import DeadLetter, EventKey, Purchase, RawEvent, Touchpoint
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, checkout, payload, tap
from wire.messages import SeqRange

NOW = datetime(2025, 3, 14, 9, 31, tzinfo=UTC)


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_batch_commits_and_resend_is_all_duplicates(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    b = batch("gw-demo-1", [tap(), tap("04A1B2C3D4E5F6"), checkout("R-1")])
    first = ingest.commit_batch("gw-demo-1", payload(b), NOW)
    assert projector.drain().applied == 3
    assert (first.committed, first.duplicates, first.dead_lettered) == (3, 0, 0)
    assert first.ack is not None
    assert first.ack.committed == [SeqRange(first=1, last=3)]
    assert first.ack.dead_lettered == []

    again = ingest.commit_batch("gw-demo-1", payload(b), NOW)
    assert (again.committed, again.duplicates, again.dead_lettered) == (0, 3, 0)
    assert again.ack == first.ack
    assert projector.drain().segments == 0  # a re-send queues nothing to project
    assert _count(sessions, RawEvent) == 3
    assert _count(sessions, EventKey) == 3
    with sessions() as s:
        assert s.scalar(select(func.count()).where(Purchase.receipt_no == "R-1")) == 1


def test_new_epoch_with_seq_one_is_not_a_duplicate(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    old = ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", [tap()])), NOW)
    wiped = ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", [tap()])), NOW)
    assert old.ack is not None and wiped.ack is not None
    assert old.ack.epoch != wiped.ack.epoch
    assert (wiped.committed, wiped.duplicates) == (1, 0)
    assert wiped.ack.committed == [SeqRange(first=1, last=1)]
    assert _count(sessions, RawEvent) == 2


def test_partial_overlap_and_repeats_inside_a_batch(ingest: IngestService) -> None:
    epoch = uuid.uuid4()
    first = batch("gw-demo-1", [tap()] * 2, epoch=epoch)
    ingest.commit_batch("gw-demo-1", payload(first), NOW)
    b = batch("gw-demo-1", [tap()] * 3, epoch=epoch, first_seq=2)
    overlap = [first.events[1], *b.events[1:], b.events[-1]]  # seq 2 re-sent, 4 repeated
    out = ingest.commit_batch("gw-demo-1", payload(b.model_copy(update={"events": overlap})), NOW)
    assert (out.committed, out.duplicates, out.conflicts) == (2, 2, 0)
    assert out.ack is not None
    assert out.ack.committed == [SeqRange(first=2, last=4)]


def _conflict_letters(sessions: sessionmaker[Session]) -> list[DeadLetter]:
    with sessions() as s:
        query = select(DeadLetter).where(DeadLetter.kind == "conflict").order_by(DeadLetter.id)
        return list(s.scalars(query))


def test_a_seq_reused_with_other_content_is_a_conflict_not_a_redelivery(
    ingest: IngestService, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    first = batch("gw-demo-1", [tap("04A1B2C3D4E5F6"), checkout("R-7")])
    ingest.commit_batch("gw-demo-1", payload(first), NOW)
    reused = batch("gw-demo-1", [checkout("R-8"), tap()], epoch=first.epoch, first_seq=2)
    with caplog.at_level(logging.ERROR, logger="hub"):
        out = ingest.commit_batch("gw-demo-1", payload(reused), NOW)
    assert (out.committed, out.duplicates, out.conflicts) == (1, 0, 1)
    assert out.ack is not None
    assert out.ack.committed == [SeqRange(first=3, last=3)]
    assert out.ack.dead_lettered == [SeqRange(first=2, last=2)]
    [letter] = _conflict_letters(sessions)
    assert (letter.gateway_id, letter.epoch, letter.seq) == ("gw-demo-1", first.epoch, 2)
    assert json.loads(letter.payload)["body"]["receipt_no"] == "R-8"  # the new content, kept
    assert [r.getMessage() for r in caplog.records if "conflict" in r.getMessage()]
    with sessions() as s:  # what was stored first stays
        stored = s.scalars(select(RawEvent).where(RawEvent.seq == 2)).one()
        assert stored.body["receipt_no"] == "R-7"
    again = ingest.commit_batch("gw-demo-1", payload(first), NOW)  # the original: redelivery
    assert again.ack is not None and again.ack.committed == [SeqRange(first=1, last=2)]
    assert (again.duplicates, again.conflicts) == (2, 0)


def test_one_seq_twice_in_a_batch_with_other_content_is_a_conflict(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    b = batch("gw-demo-1", [tap(), checkout("R-9")])
    other = batch("gw-demo-1", [checkout("R-10")], first_seq=2).events[0]
    twice = b.model_copy(update={"events": [*b.events, other]})
    out = ingest.commit_batch("gw-demo-1", payload(twice), NOW)
    assert (out.committed, out.conflicts) == (2, 1)
    assert out.ack is not None
    assert out.ack.committed == [SeqRange(first=1, last=1)]
    assert out.ack.dead_lettered == [SeqRange(first=2, last=2)]
    [letter] = _conflict_letters(sessions)
    assert (letter.seq, letter.reason) == (2, "conflict")
    assert json.loads(letter.payload)["body"]["receipt_no"] == "R-10"


def test_visit_creates_touchpoint_and_unknown_card_a_provisional_customer(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    out = ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", [tap("DEADBEEF01")])), NOW)
    assert out.committed == 1
    [(store, customers)] = projector.drain().touched.items()
    assert store == "store-sh-xuhui"
    with sessions() as s:
        visit = s.scalars(select(Touchpoint).where(Touchpoint.kind == "visit")).one()
        assert visit.customer_id in customers
        assert visit.channel == "nfc"


def test_event_failing_crm_is_acked_then_dead_lettered_alone_by_the_projection(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    from wire.events import PromptActed

    bad = PromptActed(prompt_id=uuid.uuid4(), action="done", customer_id="cus-nobody")
    b = batch("gw-demo-1", [tap(), bad, checkout("R-2")])
    out = ingest.commit_batch("gw-demo-1", payload(b), NOW)
    # Stored durably: the ack says committed; the CRM's refusal comes later, on its own.
    assert (out.committed, out.dead_lettered) == (3, 0)
    assert out.ack is not None
    assert out.ack.committed == [SeqRange(first=1, last=3)]
    assert out.ack.dead_lettered == []
    projected = projector.drain()
    assert (projected.applied, projected.dead_lettered) == (2, 1)
    with sessions() as s:
        letter = s.scalars(select(DeadLetter)).one()
        assert (letter.kind, letter.reason, letter.seq) == ("projection", "unknown customer", 2)
        assert s.scalar(select(func.count()).where(Purchase.receipt_no == "R-2")) == 1
    again = ingest.commit_batch("gw-demo-1", payload(b), NOW)
    assert again.ack == out.ack
    assert again.duplicates == 3
    assert projector.drain().segments == 0
