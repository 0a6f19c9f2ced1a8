"""A gateway cannot flood the hub with dead letters: a daily byte cap per gateway (past it
letters are counted and dropped, and its status says so), and a retention period."""

import logging
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub import metrics
from hub.api import build_api
from hub.db.models import DeadLetter
from hub.demo.seed import SeedResult
from hub.ingest.dead_letters import DeadLetterPolicy
from hub.ingest.service import DEAD_LETTER_PAYLOAD_BYTES, IngestService
from tests.hub.conftest import SKEW_LIMIT, TENANT_KEY
from tests.support.hub_auth import admin_client, hub_settings

# "Today" is the API's UTC day: a fixed date here would fail from the day after.
NOW = datetime.now(UTC).replace(microsecond=0)
CAP = 256 * 1024
JUNK = b"{" + b"x" * (200 * 1024)  # invalid JSON, 200 KiB: 64 KiB of it is kept per letter


@pytest.fixture
def capped(sessions: sessionmaker[Session], seeded: SeedResult) -> IngestService:
    policy = DeadLetterPolicy(bytes_per_gateway_day=CAP, retention_days=30)
    return IngestService(sessions, TENANT_KEY, SKEW_LIMIT, policy)


def _letters(sessions: sessionmaker[Session]) -> Counter[str]:
    with sessions() as s:
        rows = s.execute(
            select(DeadLetter.gateway_id, func.count()).group_by(DeadLetter.gateway_id)
        )
        return Counter({gateway: count for gateway, count in rows})


def _stored_bytes(sessions: sessionmaker[Session], gateway_id: str) -> int:
    with sessions() as s:
        size = func.length(DeadLetter.payload) + func.length(DeadLetter.detail)
        return int(s.scalar(select(func.sum(size)).where(DeadLetter.gateway_id == gateway_id)))


def _dropped_ticks() -> float:
    return sum(
        sample.value
        for family in metrics.DEAD_LETTERS_DROPPED.collect()
        for sample in family.samples
        if sample.name.endswith("_total") and sample.labels["kind"] == "batch"
    )


def _gateway(sessions: sessionmaker[Session], gateway_id: str) -> dict[str, object]:
    with admin_client(build_api(hub_settings(TENANT_KEY), sessions), sessions) as client:
        listed = client.get("/stores/store-sh-xuhui/gateways").json()
    [gateway] = [g for g in listed if g["id"] == gateway_id]
    return gateway


def test_a_flood_of_junk_is_capped_per_gateway_and_day_and_shown_in_its_status(
    capped: IngestService, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    dropped_before = _dropped_ticks()
    with caplog.at_level(logging.WARNING, logger="hub"):
        outcomes = [capped.commit_batch("gw-demo-1", JUNK, NOW) for _ in range(40)]
    assert all(o.ack is not None and o.ack.refused for o in outcomes), "each one is answered"
    kept = CAP // (DEAD_LETTER_PAYLOAD_BYTES + 100)  # 100: more than each detail's bytes
    assert _letters(sessions) == Counter({"gw-demo-1": kept})
    assert _stored_bytes(sessions, "gw-demo-1") <= CAP
    assert _dropped_ticks() - dropped_before == 40 - kept
    warnings = [r for r in caplog.records if "reached the cap" in r.getMessage()]
    assert len(warnings) == 1, "the drop is logged once a day, not once a letter"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == kept

    status = _gateway(sessions, "gw-demo-1")
    assert status["dead_letters_today"] == kept
    assert status["dead_letters_dropped_today"] == 40 - kept
    assert status["dead_letters_capped"] is True
    assert int(str(status["dead_letter_bytes_today"])) == _stored_bytes(sessions, "gw-demo-1")

    capped.commit_batch("gw-demo-2", JUNK, NOW)  # another gateway has its own budget
    capped.commit_batch("gw-demo-1", JUNK, NOW + timedelta(days=1))  # and a new day, too
    assert _letters(sessions) == Counter({"gw-demo-1": kept + 1, "gw-demo-2": 1})


def test_a_gateway_without_letters_shows_none(
    capped: IngestService, sessions: sessionmaker[Session]
) -> None:
    status = _gateway(sessions, "gw-demo-1")
    assert (status["dead_letters_today"], status["dead_letters_dropped_today"]) == (0, 0)
    assert status["dead_letters_capped"] is False


def test_letters_older_than_the_retention_are_deleted_after_a_status(
    capped: IngestService, sessions: sessionmaker[Session]
) -> None:
    old, recent = NOW - timedelta(days=31), NOW - timedelta(days=29)
    for at in (old, recent, NOW):
        capped.commit_batch("gw-demo-1", b"{not json", at)
    capped.record_status("gw-demo-1", b"{not json either", NOW)  # the first status prunes
    with sessions() as s:
        kept = sorted(s.scalars(select(DeadLetter.received_at)))
    assert kept == [recent, NOW, NOW]  # the status's own letter is the second at NOW
    assert capped.prune_dead_letters(NOW + timedelta(days=30, seconds=1)) == 3
