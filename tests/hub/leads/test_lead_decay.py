"""A stored score fades with no event at all: the decay sweep scores again the leads
scored longest ago, and leaves recently scored ones alone."""

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.leads.config import LeadSettings
from hub.db.models import MEMBER, Customer, Lead, Touchpoint
from hub.demo.seed import SeedResult
from hub.rules.schedule import lead_decay

TENANT = "tenant-demo"
HALF_LIFE = timedelta(days=14)  # the default weights' half_life_days


def _lead(lead_id: str, score: int, scored_at: datetime) -> Lead:
    return Lead(id=lead_id, tenant_id=TENANT, source="web_form", source_id=lead_id,
                customer_id="cus-decay", score=score, score_parts=[], scored_at=scored_at,
                captured_at=scored_at, created_at=scored_at)  # fmt: skip


def _scores(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return dict(session.execute(select(Lead.id, Lead.score)).all())


def test_the_sweep_scores_stale_leads_again_on_its_clock(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    now = datetime.now(UTC)  # not at import: the run may reach this test minutes later
    then = now - HALF_LIFE
    with sessions.begin() as session:
        session.add(Customer(id="cus-decay", tenant_id=TENANT, status=MEMBER,
                             created_at=then, updated_at=then))  # fmt: skip
        session.flush()
        session.add(Touchpoint(tenant_id=TENANT, customer_id="cus-decay", store_id="store-sh-xuhui",
                               kind="checkout", channel="pos", at=then))  # fmt: skip
        # Scored when the checkout was new: web_form 20 + checkout 8 + member 5 = 33.
        session.add(_lead("ld-stale", 33, then))
        session.add(_lead("ld-fresh", 99, now - timedelta(seconds=30)))  # not due: kept
    job = lead_decay(LeadSettings(decay_every_minutes=1), sessions)
    job.every = 0.05  # the test's clock; the period still picks "scored over a minute ago"
    job.start()
    try:
        deadline = time.monotonic() + 30
        while _scores(sessions)["ld-stale"] == 33 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        job.stop()
    # One half-life later the checkout is worth 4: 20 + 4 + 5 = 29.
    assert _scores(sessions) == {"ld-stale": 29, "ld-fresh": 99}
