"""A merge moves the merged customer's sample requests and orders to the survivor
(hub/crm/merge/registry.py), and its undo moves exactly those back."""

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.merge import service
from hub.db.models import SalesOrder, SampleRequest
from tests.hub.callers import SeededCallers
from tests.hub.field_sales.conftest import CLERK
from tests.hub.field_sales.walk_records import field_sales_records
from tests.hub.org_scopes import ADMIN


def _customers(sessions: sessionmaker[Session]) -> set[str]:
    with sessions() as session:
        samples = session.scalars(select(SampleRequest.customer_id)).all()
        return set(samples) | set(session.scalars(select(SalesOrder.customer_id)).all())


def test_requests_and_orders_follow_a_merge_and_its_undo(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    field_sales_records(sessions, "merged", "cus-demo-04", CLERK, CLERK)
    now = datetime.now(UTC)
    with sessions.begin() as session:
        merge_id = service.merge(session, ADMIN, "cus-demo-03", "cus-demo-04", now).id
    assert _customers(sessions) == {"cus-demo-03"}
    with sessions.begin() as session:
        service.undo(session, ADMIN, merge_id, now)
    assert _customers(sessions) == {"cus-demo-04"}
