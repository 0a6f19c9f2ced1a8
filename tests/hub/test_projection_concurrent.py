"""Two CRM projections (two hub processes) creating the same new identifiers at once
and the set-based projection falling back to one
event at a time."""

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Engine, func, insert, select, text
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.identities import lock_identifiers, new_customer_id
from hub.db import make_engine, make_session_factory, migrate
from hub.db.models import Customer, DeadLetter, Identity, Purchase, StreamCursor, Touchpoint
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner, RoundOutcome
from hub.projection.crm_projection import CrmProjection
from tests.hub.batches import batch, checkout, payload, tap
from tests.hub.conftest import SKEW_LIMIT, TENANT_KEY
from wire.messages import SeqRange

NOW = datetime(2025, 3, 14, 9, 31, tzinfo=UTC)
TENANT = "tenant-demo"
NEW_CARDS = [f"CAFE{n:06X}" for n in range(60)]


@pytest.fixture
def pg_engine(pg_url_each_server: str) -> Iterator[Engine]:
    migrate(pg_url_each_server)
    engine = make_engine(pg_url_each_server, pool_size=4)
    yield engine
    engine.dispose()


@pytest.fixture
def pg_sessions(pg_engine: Engine) -> sessionmaker[Session]:
    from hub.demo.seed import seed_demo

    sessions = make_session_factory(pg_engine)
    seed_demo(sessions, TENANT_KEY)
    return sessions


@pytest.fixture
def pg_ingest(pg_sessions: sessionmaker[Session]) -> IngestService:
    return IngestService(pg_sessions, TENANT_KEY, SKEW_LIMIT)


@pytest.fixture
def pg_projector(pg_sessions: sessionmaker[Session]) -> ConsumerRunner:
    return ConsumerRunner(
        pg_sessions, CrmProjection(), max_events=len(NEW_CARDS)
    )  # one batch per round


def _owners(sessions: sessionmaker[Session], uids: list[str]) -> dict[str, str]:
    with sessions() as s:
        rows = s.execute(
            select(Identity.value, Identity.customer_id).where(
                Identity.kind == "card_uid", Identity.value.in_(uids)
            )
        )
        return {value: customer for value, customer in rows}


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with sessions() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_two_projections_same_new_cards_project_all_with_one_customer_each(
    pg_ingest: IngestService, pg_projector: ConsumerRunner, pg_sessions: sessionmaker[Session]
) -> None:
    """Both gateways see the same 60 unknown cards, in opposite orders; two projectors (as
    in two hub processes) take one gateway's batch each, at the same time."""
    payloads = [
        ("gw-demo-1", payload(batch("gw-demo-1", [tap(uid) for uid in NEW_CARDS]))),
        ("gw-demo-2", payload(batch("gw-demo-2", [tap(uid) for uid in reversed(NEW_CARDS)]))),
    ]
    other = ConsumerRunner(pg_sessions, CrmProjection(), max_events=len(NEW_CARDS))
    start = threading.Barrier(2)

    def project(projector: ConsumerRunner) -> RoundOutcome:
        start.wait(timeout=10)
        return projector.run_once()

    for _round in range(3):  # new epochs each round: every round is new work
        for gw, work in payloads:
            assert pg_ingest.commit_batch(gw, work, NOW).committed == 60
        with ThreadPoolExecutor(2) as pool:
            outcomes = list(pool.map(project, [pg_projector, other]))
        assert (
            sorted((o.segments, o.applied, o.dead_lettered) for o in outcomes) == [(1, 60, 0)] * 2
        )
        payloads = [
            (gw, payload(batch(gw, [tap(uid) for uid in NEW_CARDS]))) for gw, _p in payloads
        ]
    owners = _owners(pg_sessions, NEW_CARDS)
    assert len(owners) == 60
    assert len(set(owners.values())) == 60  # one provisional customer per card
    with pg_sessions() as s:
        visits = s.scalars(select(Touchpoint.customer_id).where(Touchpoint.kind == "visit"))
        assert set(visits) == set(owners.values())
    assert _count(pg_sessions, DeadLetter) == 0


def _wait_for_lock_wait(engine: Engine, locktype: str) -> None:
    """Until some backend waits on a lock of `locktype` (deadline 10 s)."""
    deadline = time.monotonic() + 10
    query = text("SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = :t")
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.scalar(query, {"t": locktype}):
                return
        time.sleep(0.01)
    raise AssertionError(f"nobody waited on a {locktype} lock")


def _hold_identity(
    sessions: sessionmaker[Session], uid: str, take_lock: bool
) -> tuple[Session, str]:
    """An open transaction that created `uid` for a new customer and has not committed."""
    session = sessions()
    session.begin()
    if take_lock:
        lock_identifiers(session, TENANT, {("card_uid", uid)})
    customer_id = new_customer_id()
    session.execute(
        insert(Customer),
        [
            {
                "id": customer_id,
                "tenant_id": TENANT,
                "status": "provisional",
                "tags": [],
                "created_at": NOW,
                "updated_at": NOW,
            }
        ],
    )
    session.execute(
        insert(Identity),
        [
            {
                "tenant_id": TENANT,
                "customer_id": customer_id,
                "kind": "card_uid",
                "value": uid,
                "created_at": NOW,
            }
        ],
    )
    session.flush()
    return session, customer_id


@pytest.mark.parametrize("locktype", ["advisory", "transactionid"])
def test_projection_waits_for_a_writer_creating_its_card_and_uses_that_customer(
    pg_ingest: IngestService,
    pg_projector: ConsumerRunner,
    pg_sessions: sessionmaker[Session],
    pg_engine: Engine,
    locktype: str,
) -> None:
    """`advisory`: the other writer took the identifier lock (every projection does); the
    projection waits on the lock. `transactionid`: a writer that took no lock; the
    projection waits on its row in ON CONFLICT, loses, and resolves again."""
    races = REGISTRY.get_sample_value("storepulse_hub_identity_races_total") or 0.0
    work = payload(batch("gw-demo-1", [tap("BEEF0001"), tap("BEEF0002"), checkout("R-9")]))
    assert pg_ingest.commit_batch("gw-demo-1", work, NOW).committed == 3
    # The other writer began after that commit: a transaction older than a segment holds
    # the stream back until it ends (hub/projection/stream.py), and it would not wait.
    other, winner = _hold_identity(pg_sessions, "BEEF0001", take_lock=locktype == "advisory")
    with ThreadPoolExecutor(1) as pool:
        pending = pool.submit(pg_projector.run_once)
        _wait_for_lock_wait(pg_engine, locktype)
        assert not pending.done()
        other.commit()
        other.close()
        out = pending.result(timeout=10)
    assert (out.applied, out.dead_lettered) == (3, 0)
    raced = (REGISTRY.get_sample_value("storepulse_hub_identity_races_total") or 0.0) - races
    assert raced == (1 if locktype == "transactionid" else 0)
    owners = _owners(pg_sessions, ["BEEF0001", "BEEF0002"])
    assert owners["BEEF0001"] == winner
    with pg_sessions() as s:
        first_visit = s.scalar(
            select(Touchpoint.customer_id).where(Touchpoint.kind == "visit").order_by(Touchpoint.at)
        )
        assert first_visit == winner
        assert s.scalar(select(func.count()).where(Customer.status == "provisional")) == 2


def test_database_error_in_batch_path_dead_letters_only_the_bad_event(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    """Two checkouts with one event_id (a gateway bug): purchases.event_id is unique, so the
    set-based insert fails; redone one by one, only the second is dead-lettered."""
    b = batch("gw-demo-1", [tap(), checkout("R-1"), checkout("R-2")])
    clash = b.events[2].model_copy(update={"event_id": b.events[1].event_id})
    b = b.model_copy(update={"events": [b.events[0], b.events[1], clash]})
    out = ingest.commit_batch("gw-demo-1", payload(b), NOW)
    assert (out.committed, out.dead_lettered) == (3, 0)  # stored; the CRM comes after
    assert out.ack is not None
    assert out.ack.committed == [SeqRange(first=1, last=3)]
    projected = projector.drain()
    assert (projected.applied, projected.dead_lettered) == (2, 1)
    with sessions() as s:
        letter = s.scalars(select(DeadLetter)).one()
        assert (letter.kind, letter.reason, letter.seq) == (
            "projection",
            "crm constraint violated",
            3,
        )
        assert list(
            s.scalars(select(Purchase.receipt_no).where(Purchase.gateway_id.is_not(None)))
        ) == ["R-1"]


def test_batch_path_matches_one_event_at_a_time_within_a_batch(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    """A new card seen twice and then with a new member number: one customer, which learns
    the member number; the checkout by that member lands on it too."""
    uid, member = "ABCD0001", "M-NEW-1"
    b = batch(
        "gw-demo-1", [tap(uid), tap(uid), tap(uid, member_no=member), checkout("R-7", member)]
    )
    assert ingest.commit_batch("gw-demo-1", payload(b), NOW).committed == 4
    out = projector.drain()
    assert (out.applied, out.dead_lettered) == (4, 0)
    with sessions() as s:
        owners = dict(
            s.execute(
                select(Identity.value, Identity.customer_id).where(
                    Identity.value.in_([uid, member])
                )
            ).all()
        )
        assert owners[uid] == owners[member]
        visits = list(s.scalars(select(Touchpoint.customer_id).where(Touchpoint.kind == "visit")))
        assert visits == [owners[uid]] * 3
        bought = s.scalars(select(Purchase).where(Purchase.receipt_no == "R-7")).one()
        assert bought.customer_id == owners[uid]
        assert [i.sku for i in bought.items] == ["6901234567011"]
    assert out.touched == {"store-sh-xuhui": {owners[uid]}}


def test_a_shard_another_projector_holds_is_left_to_it(
    pg_sessions: sessionmaker[Session], pg_ingest: IngestService
) -> None:
    """Another hub process holds the shard of gw-demo-1 (its cursor row is locked): this
    projector projects the other gateway's events and leaves gw-demo-1's alone, so one
    gateway's events are never applied by two transactions at once."""
    first = batch("gw-demo-1", [tap("CAFE00F001")])
    second = batch("gw-demo-1", [checkout("R-ORDER")], epoch=first.epoch, first_seq=2)
    for sent in (first, second):
        pg_ingest.commit_batch(sent.gateway_id, payload(sent), NOW)
    projector = ConsumerRunner(pg_sessions, CrmProjection())
    projector.drain()  # registers the cursors
    held = _shard(pg_sessions, "gw-demo-1")
    assert _shard(pg_sessions, "gw-demo-2") != held  # the demo's two gateways: 0 and 3
    pg_ingest.commit_batch("gw-demo-2", payload(batch("gw-demo-2", [tap("CAFE00F100")])), NOW)
    third = batch("gw-demo-1", [checkout("R-LATER")], epoch=first.epoch, first_seq=3)
    pg_ingest.commit_batch("gw-demo-1", payload(third), NOW)
    with pg_sessions() as holder:  # the other process, in the middle of its round
        cursor = holder.execute(
            select(StreamCursor)
            .where(StreamCursor.consumer == "crm", StreamCursor.shard == held)
            .with_for_update()
        ).scalar_one()
        locked = cursor.shard
        meanwhile = projector.drain()
        holder.rollback()
    assert (meanwhile.segments, meanwhile.applied) == (1, 1)  # gw-demo-2's only
    assert locked == held
    with pg_sessions() as s:
        later = select(func.count()).where(Purchase.receipt_no == "R-LATER")
        assert s.scalar(later) == 0
    rest = projector.drain()
    assert (rest.segments, rest.applied) == (1, 1)  # gw-demo-1's third, once released
    assert projector.lag().events == 0


def _shard(sessions: sessionmaker[Session], gateway_id: str) -> int:
    """The shard of a gateway: PostgreSQL's hashtext, as hub/projection/stream.py takes it."""
    query = text("SELECT mod(abs(hashtext(:g)::bigint), :n)")
    with sessions() as s:
        return int(s.scalar(query, {"g": gateway_id, "n": CrmProjection.shards}) or 0)
