"""Merges and households: a member merged into a customer outside any household hands the
survivor the membership and the purchases bought for them, and the undo gives both back;
two customers who are both household members are not merged (no guess at which family)."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.merge import service
from hub.db.models import HouseholdMember, Purchase
from hub.demo.seed import SeedResult
from hub.errors import Conflict
from tests.hub.identity.world import ADMIN

WHEN = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
# The demo household hh-demo-wang: cus-demo-01 (self) and cus-demo-04 (spouse); 04 bought
# XUHUI-0401 and XUHUI-0402 for 01 (hub/demo/data.py).


def _family(sessions: sessionmaker[Session]) -> tuple[dict[str, str], set[str]]:
    with sessions() as session:
        members = dict(
            session.execute(select(HouseholdMember.customer_id, HouseholdMember.relation)).all()
        )
        bought_for = set(
            session.scalars(
                select(Purchase.receipt_no).where(Purchase.for_customer_id == "cus-demo-02")
            )
        )
    return members, bought_for


def test_a_members_household_and_family_purchases_follow_the_merge_and_come_back(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    before = _family(sessions)
    assert before[0] == {"cus-demo-01": "self", "cus-demo-04": "spouse"} and before[1] == set()
    with sessions.begin() as session:
        merge_id = service.merge(session, ADMIN, "cus-demo-02", "cus-demo-01", WHEN).id
    members, bought_for = _family(sessions)
    assert members == {"cus-demo-02": "self", "cus-demo-04": "spouse"}
    assert bought_for == {"XUHUI-0401", "XUHUI-0402"}
    with sessions.begin() as session:
        service.undo(session, ADMIN, merge_id, WHEN)
    assert _family(sessions) == before


def test_two_household_members_are_not_merged(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    with sessions.begin() as session, pytest.raises(Conflict, match="household_members"):
        service.merge(session, ADMIN, "cus-demo-04", "cus-demo-01", WHEN)
