"""家属代购 end to end through the real ingest and CRM projection: the clerk's tick names
the household member, the event carries it, the projection puts it on the purchase of that
checkout (the buyer's purchase in the store nearest in time, within 30 minutes either side),
and the household's figures and cache entries follow."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.households.figures import figures_of
from hub.db.models import Purchase, Touchpoint
from hub.gateways.cache import cached_customers
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, payload
from wire.events import LineItem, PosCheckout, PosServiceLogged
from wire.identity import Identifier, IdentifierKind

GW = "gw-demo-1"  # Xuhui
T0 = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
LIU = Identifier(kind=IdentifierKind.CARD_UID, value="04B7C8D9E0F112")  # cus-demo-04
WIFE = "cus-demo-01"  # 王芳, in 刘洋's household (hub/demo/data.py)


def _checkout(receipt: str) -> PosCheckout:
    item = LineItem(sku="6901234567011", name="阿莫西林", qty=1, unit_price=1850)
    return PosCheckout(receipt_no=receipt, items=[item], total=1850, member=LIU, terminal="POS-1")


def _tick(for_id: str | None, service: str = "family_purchase") -> PosServiceLogged:
    return PosServiceLogged(
        service_type=service, member=LIU, staff_id="S01", for_customer_id=for_id
    )


def _for(sessions: sessionmaker[Session], receipt: str) -> str | None:
    with sessions() as s:
        return s.scalars(
            select(Purchase.for_customer_id).where(Purchase.receipt_no == receipt)
        ).one()


def test_a_tick_before_the_checkout_marks_that_purchase(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        before = figures_of(s, ["hh-demo-wang"])["hh-demo-wang"]
    b = batch(GW, [_tick(WIFE), _checkout("R-FAM-1")], at=T0)
    ingest.commit_batch(GW, payload(b), T0 + timedelta(minutes=1))
    outcome = projector.drain()
    assert (outcome.applied, outcome.dead_lettered) == (2, 0)
    assert _for(sessions, "R-FAM-1") == WIFE
    with sessions() as s:
        after = figures_of(s, ["hh-demo-wang"])["hh-demo-wang"]
        [entry] = cached_customers(s, ["cus-demo-04"])
    # the demo's 3 of 7, and now 4 of 8
    assert (before.for_family, before.purchases) == (3, 7)
    assert (after.for_family, after.purchases) == (4, 8)
    assert entry.household is not None
    assert [(f.buyer_id, f.for_id, f.count) for f in entry.household.bought_for] == [
        ("cus-demo-04", WIFE, 3),
        (WIFE, "cus-demo-04", 1),
    ]
    # both members' stores hear of it
    assert {"cus-demo-04", WIFE} <= outcome.touched["store-sh-xuhui"]


def test_a_tick_after_the_checkout_marks_it_and_only_it(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    first = batch(GW, [_checkout("R-FAM-2")], at=T0)
    ingest.commit_batch(GW, payload(first), T0 + timedelta(minutes=1))
    projector.drain()
    assert _for(sessions, "R-FAM-2") is None
    later = batch(GW, [_tick(WIFE)], epoch=first.epoch, first_seq=2, at=T0 + timedelta(minutes=4))
    ingest.commit_batch(GW, payload(later), T0 + timedelta(minutes=5))
    projector.drain()
    assert _for(sessions, "R-FAM-2") == WIFE
    # a second checkout 6 minutes on: the tick has its purchase already
    again = batch(
        GW, [_checkout("R-FAM-3")], epoch=first.epoch, first_seq=3, at=T0 + timedelta(minutes=10)
    )
    ingest.commit_batch(GW, payload(again), T0 + timedelta(minutes=11))
    projector.drain()
    assert _for(sessions, "R-FAM-3") is None


def test_ticks_that_name_no_member_or_another_service_mark_nothing(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    b = batch(
        GW,
        [_tick("cus-demo-03"), _checkout("R-FAM-4"), _tick(WIFE, "medication_advice")],
        at=T0,
    )
    ingest.commit_batch(GW, payload(b), T0 + timedelta(minutes=1))
    outcome = projector.drain()
    assert (outcome.applied, outcome.dead_lettered) == (3, 0)
    assert _for(sessions, "R-FAM-4") is None  # 张伟 is not of 刘洋's household
    with sessions() as s:
        ticks = s.execute(
            select(Touchpoint.detail, Touchpoint.for_customer_id)
            .where(Touchpoint.kind == "service", Touchpoint.at >= T0)
            .order_by(Touchpoint.at)
        ).all()
    # the tick keeps whom the clerk named; a service other than 家属代购 names nobody
    assert [tuple(t) for t in ticks] == [
        ("family_purchase", "cus-demo-03"),
        ("medication_advice", None),
    ]
