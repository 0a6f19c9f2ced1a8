"""The CRM projection beside ingest: exactly once across a crash,
poison events dead-lettered without blocking, per-gateway order, and the loop that runs it."""

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.customer_stores import stores_of_customers
from hub.db.event_origin import Where
from hub.db.models import DeadLetter, Identity, Purchase, RawEvent, StreamCursor, Touchpoint
from hub.demo.seed import SeedResult
from hub.gateways import cache
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner, RoundOutcome
from hub.projection.crm_batch import apply_batch
from hub.projection.crm_projection import CrmProjection
from hub.projection.loop import ConsumerLoop
from tests.hub.batches import batch, checkout, payload, tap
from wire.events import CardTapped, PromptActed

NOW = datetime(2025, 3, 14, 9, 31, tzinfo=UTC)
GW = "gw-demo-1"
UNKNOWN = "unknown customer"


class Crash(Exception):
    """Stands for the process dying after the CRM writes, before the commit."""


def _count(sessions: sessionmaker[Session], model: type, *where: Any) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _owner(sessions: sessionmaker[Session], value: str) -> str:
    with sessions() as s:
        owner = s.scalar(select(Identity.customer_id).where(Identity.value == value))
    assert owner is not None, value
    return owner


@pytest.fixture
def crash_once(sessions: sessionmaker[Session], seeded: SeedResult) -> Iterator[list[int]]:
    """Make the next commit that projects something fail; records the purchases the dying
    transaction had written (so the test knows the crash came after the CRM writes)."""
    seen: list[int] = []

    def before_commit(session: Session) -> None:
        if seen:
            return
        read = session.scalar(select(func.max(StreamCursor.segment_id)))
        purchases = session.scalar(select(func.count()).select_from(Purchase))
        if read and purchases:  # cursor moved, purchases written: the projection's
            seen.append(int(purchases))
            raise Crash

    event.listen(sessions, "before_commit", before_commit)
    yield seen
    event.remove(sessions, "before_commit", before_commit)


def test_a_crash_before_the_commit_projects_again_exactly_once(
    ingest: IngestService,
    projector: ConsumerRunner,
    sessions: sessionmaker[Session],
    crash_once: list[int],
) -> None:
    before = _count(sessions, Purchase)
    ingest.commit_batch(GW, payload(batch(GW, [tap(), checkout("R-X1"), checkout("R-X2")])), NOW)
    with pytest.raises(Crash):
        projector.run_once()
    assert crash_once == [before + 2]  # the dying transaction had written both purchases
    assert _count(sessions, Purchase) == before  # ... and none of it stayed
    assert projector.lag().events == 3  # the cursor did not move

    again = projector.drain()
    assert (again.applied, again.dead_lettered) == (3, 0)
    assert _count(sessions, Purchase, Purchase.receipt_no.in_(["R-X1", "R-X2"])) == 2
    assert projector.drain().segments == 0
    assert _count(sessions, Purchase) == before + 2
    assert projector.lag().events == 0


def test_poison_events_are_dead_lettered_and_later_ones_still_project(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    one_at_a_time = ConsumerRunner(sessions, CrmProjection(), max_events=1)
    unknown = PromptActed(prompt_id=uuid.uuid4(), action="done", customer_id="cus-nobody")
    first = batch(GW, [tap("C0FFEE01"), tap("C0FFEE02"), unknown])
    ingest.commit_batch(GW, payload(first), NOW)
    later = batch(GW, [tap("C0FFEE03"), checkout("R-AFTER")], epoch=first.epoch, first_seq=4)
    ingest.commit_batch(GW, payload(later), NOW)
    with sessions.begin() as s:  # a stored row that no longer validates (edited, or a bug)
        s.execute(
            update(RawEvent)
            .where(RawEvent.epoch == first.epoch, RawEvent.seq == 2)
            .values(body={"uid": "not hex", "technology": "t", "reader": "r"})
        )
    ticks = _sample("storepulse_hub_dead_letters_total", kind="projection", reason=UNKNOWN)

    # The first round holds the whole first batch (a job is never split).
    rounds = [one_at_a_time.run_once() for _ in range(3)]
    assert [(r.segments, r.applied, r.dead_lettered) for r in rounds] == [
        (1, 1, 2),
        (1, 2, 0),
        (0, 0, 0),
    ]
    with sessions() as s:
        letters = s.scalars(select(DeadLetter).order_by(DeadLetter.seq)).all()
        assert [(x.kind, x.seq, x.reason) for x in letters] == [
            ("projection", 2, "undecodable stored event"),
            ("projection", 3, "unknown customer"),
        ]
        assert "uid" in letters[0].detail
        assert json.loads(letters[0].payload)["body"]["uid"] == "not hex"  # as stored
        assert b"cus-nobody" in letters[1].payload
        assert letters[1].epoch == first.epoch
        visits = s.scalars(select(Touchpoint.detail).where(Touchpoint.kind == "visit")).all()
        assert len(visits) == 2  # C0FFEE01 and C0FFEE03; not the undecodable one
    assert _count(sessions, Purchase, Purchase.receipt_no == "R-AFTER") == 1
    after = _sample("storepulse_hub_dead_letters_total", kind="projection", reason=UNKNOWN)
    assert after - ticks == 1


@pytest.mark.parametrize("max_events", [1, 5000], ids=["round-per-batch", "one-round"])
def test_a_checkout_after_a_tap_of_a_new_card_lands_on_the_same_customer(
    ingest: IngestService, sessions: sessionmaker[Session], max_events: int
) -> None:
    """The tap makes a provisional customer holding the card and the new member number;
    the checkout, a batch later, names that member number."""
    projector = ConsumerRunner(sessions, CrmProjection(), max_events=max_events)
    tapped = batch(GW, [tap("FACE0001", member_no="M-NEW-9")])
    ingest.commit_batch(GW, payload(tapped), NOW)
    bought = batch(GW, [checkout("R-ORDER", member="M-NEW-9")], epoch=tapped.epoch, first_seq=2)
    ingest.commit_batch(GW, payload(bought), NOW)
    outcome = projector.drain()
    assert (outcome.applied, outcome.dead_lettered) == (2, 0)
    customer = _owner(sessions, "FACE0001")
    assert _owner(sessions, "M-NEW-9") == customer
    with sessions() as s:
        purchase = s.scalars(select(Purchase).where(Purchase.receipt_no == "R-ORDER")).one()
        assert purchase.customer_id == customer
    assert outcome.touched == {"store-sh-xuhui": {customer}}


def test_events_of_several_stores_in_one_round_get_their_own_home_store(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    ingest.commit_batch("gw-demo-1", payload(batch("gw-demo-1", [tap("AAAA0001")])), NOW)
    ingest.commit_batch("gw-demo-2", payload(batch("gw-demo-2", [tap("AAAA0002")])), NOW)
    outcome = projector.drain()
    assert outcome.segments == 2
    first, second = _owner(sessions, "AAAA0001"), _owner(sessions, "AAAA0002")
    assert outcome.touched == {"store-sh-xuhui": {first}, "store-sh-jingan": {second}}


def _until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def test_the_loop_projects_beside_commits_and_hands_over_touched_customers(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    """Commits and projection rounds interleave (none fails); every commit wakes the loop;
    deltas are handed over after each round."""
    published: list[dict[str, set[str]]] = []
    rounds: list[RoundOutcome] = []
    loop = ConsumerLoop(projector, published.append, idle_seconds=30)
    loop.on_round = rounds.append
    loop.start()
    try:
        epoch = uuid.uuid4()
        for n in range(20):
            taps = [tap(f"B0B0{n:02d}{k:02d}") for k in range(10)]
            out = ingest.commit_batch(
                GW, payload(batch(GW, taps, epoch=epoch, first_seq=1 + 10 * n)), NOW
            )
            assert out.committed == 10
            loop.wake()
        _until(lambda: sum(r.applied for r in rounds) == 200)
        _until(lambda: _sample("storepulse_hub_stream_lag_events", consumer="crm") == 0)
    finally:
        loop.stop()
    new_customers = set().union(*(p.get("store-sh-xuhui", set()) for p in published))
    assert len(new_customers) == 200
    assert _count(sessions, Touchpoint, Touchpoint.kind == "visit") == 200
    assert _count(sessions, DeadLetter) == 0
    assert projector.lag().events == 0


def test_a_failed_cache_delta_is_sent_again_and_the_loop_keeps_projecting(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    from hub.errors import StorageError

    sent: list[set[str]] = []
    failed = threading.Event()

    def publish(touched: dict[str, set[str]]) -> None:
        if not failed.is_set():
            failed.set()
            raise StorageError("database gone while building the delta")
        sent.append(set().union(*touched.values()))

    loop = ConsumerLoop(projector, publish, idle_seconds=0.2)
    loop.start()
    try:
        ingest.commit_batch(GW, payload(batch(GW, [tap("D00D0001")])), NOW)
        loop.wake()
        assert failed.wait(15)
        _until(lambda: bool(sent))  # no new event: the next idle look sends it again
        ingest.commit_batch(GW, payload(batch(GW, [tap("D00D0002")])), NOW)
        loop.wake()
        _until(lambda: len(sent) == 2)
    finally:
        loop.stop()
    assert sent == [{_owner(sessions, "D00D0001")}, {_owner(sessions, "D00D0002")}]
    assert _count(sessions, Touchpoint, Touchpoint.kind == "visit") == 2


def test_a_delta_that_keeps_failing_is_dropped_and_later_ones_still_go(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    from hub.errors import StorageError
    from hub.projection.loop import MAX_DELTA_ATTEMPTS

    calls: list[set[str]] = []

    def publish(touched: dict[str, set[str]]) -> None:
        calls.append(set().union(*touched.values()))
        if len(calls) <= MAX_DELTA_ATTEMPTS:
            raise StorageError("this delta cannot be built")

    loop = ConsumerLoop(projector, publish, idle_seconds=0.05)
    loop.start()
    try:
        ingest.commit_batch(GW, payload(batch(GW, [tap("D00D0003")])), NOW)
        loop.wake()
        _until(lambda: len(calls) == MAX_DELTA_ATTEMPTS)
        time.sleep(0.3)  # several idle looks: nothing is left to send
        assert len(calls) == MAX_DELTA_ATTEMPTS
        ingest.commit_batch(GW, payload(batch(GW, [tap("D00D0004")])), NOW)
        loop.wake()
        _until(lambda: len(calls) == MAX_DELTA_ATTEMPTS + 1)
    finally:
        loop.stop()
    first, later = _owner(sessions, "D00D0003"), _owner(sessions, "D00D0004")
    assert calls == [{first}] * MAX_DELTA_ATTEMPTS + [{later}]


def test_the_loop_gives_way_to_a_busy_ingest_but_still_projects(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    """Ingest busy all the time: the loop pauses after every round (for three times the
    round at a share of 1/4) and yet every round happens, in order."""
    projector = ConsumerRunner(sessions, CrmProjection(), max_events=1)
    rounds: list[tuple[float, RoundOutcome]] = []
    asked: list[float] = []

    def busy() -> bool:
        asked.append(time.monotonic())
        return True

    loop = ConsumerLoop(projector, None, idle_seconds=30, ingest_busy=busy, busy_share=0.25)
    loop.on_round = lambda outcome: rounds.append((time.monotonic(), outcome))
    epoch = uuid.uuid4()
    for n in range(3):
        body = [tap(f"5EED{n:04d}")]
        ingest.commit_batch(GW, payload(batch(GW, body, epoch=epoch, first_seq=1 + n)), NOW)
    loop.start()
    try:
        loop.wake()
        _until(lambda: len(rounds) == 3)
    finally:
        loop.stop()
    assert [o.applied for _at, o in rounds] == [1, 1, 1]
    assert len(asked) >= 2  # it asked after each round before taking the next
    assert _count(sessions, Touchpoint, Touchpoint.kind == "visit") == 3


@pytest.mark.parametrize("path", ["batch", "per-event"])
def test_taps_link_new_cards_and_reach_the_stores_cache_with_membership(
    sessions: sessionmaker[Session], seeded: SeedResult, path: str
) -> None:
    """Issue 12 items 5 and 6, on both identity paths: a new UID carrying a member number
    joins that member; an unknown card makes a provisional customer cached as such; a
    member of another store is sent to this store's cache with their home store; a member
    tapping at home with a known card sends no delta."""
    taps = [
        tap("FACE0002", member_no="M1001"),  # cus-demo-01's member number, a new card
        tap("04D1E2F3A4B5C6"),  # cus-demo-11, homed at the Jing'an store
        tap("FACE0003"),  # nobody
        tap("04A1B2C3D4E5F6"),  # cus-demo-02, at home, known card
    ]
    changed_customers = _apply(sessions, path, taps)
    new = _owner(sessions, "FACE0003")
    assert _owner(sessions, "FACE0002") == "cus-demo-01"
    assert changed_customers == {"cus-demo-01", "cus-demo-11", new}
    with sessions() as session:
        assert stores_of_customers(session, {"cus-demo-11"})["store-sh-xuhui"] == {"cus-demo-11"}
        entries = {e.customer_id: e for e in cache.cached_customers(session, changed_customers)}
    member, away, provisional = entries["cus-demo-01"], entries["cus-demo-11"], entries[new]
    assert "FACE0002" in {i.value for i in member.identifiers}
    assert (member.membership, member.home_store_id) == ("member", "store-sh-xuhui")
    assert (away.membership, away.home_store_id) == ("member", "store-sh-jingan")
    assert away.home_store_name == "静安南京西路店 Jing'an West Nanjing Rd"
    assert (provisional.membership, provisional.display_name) == ("provisional", "Guest")
    again = _apply(sessions, path, [tap("04D1E2F3A4B5C6"), tap("FACE0003")])
    assert again == set(), "this store caches them now: their next visits send no delta"


def _apply(sessions: sessionmaker[Session], path: str, bodies: list[CardTapped]) -> set[str]:
    """The changed customers of taps at the Xuhui store, by the batch or per-event path."""
    where = Where("tenant-demo", "store-sh-xuhui", "gw-demo-1", NOW)
    events = batch("gw-demo-1", bodies).events
    with sessions.begin() as session:
        if path == "batch":
            return apply_batch(
                session, "tenant-demo", [(where, e) for e in events], NOW
            ).changed_customers
        one_by_one = (apply_batch(session, "tenant-demo", [(where, e)], NOW) for e in events)
        return set().union(*(applied.changed_customers for applied in one_by_one))
