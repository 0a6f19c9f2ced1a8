"""TimescaleDB: migration 0011 brings chunks compressed by `store_id` to segments by
`gateway_id, epoch` ordered by `seq`, and failing background jobs show in /healthz (degraded,
still 200) and /metrics. On a server without TimescaleDB (the machine's) 0011 is a no-op and
/healthz has no jobs; the rest skips: docs/hub-storage.md says how to run it against one."""

import time
import uuid
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.api.schemas import MqttLinkHealth
from hub.db.timescale_compression import apply_layout, settings_of, stale_chunks
from hub.ingest.service import IngestService
from hub.projection import stream
from tests.hub.batches import batch, payload, tap
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import hub_settings


def _timescale(engine: Engine) -> bool:
    with engine.connect() as conn:
        return settings_of(conn) is not None


def test_0011_recompresses_chunks_segmented_the_old_way(
    engine: Engine, sessions: sessionmaker[Session], ingest: IngestService
) -> None:
    if not _timescale(engine):
        with engine.begin() as conn:
            assert apply_layout(conn) == []  # plain PostgreSQL: nothing to do
        return
    at = datetime.now(UTC) - timedelta(days=45)
    epoch = uuid.uuid4()
    b = batch("gw-demo-1", [tap()] * 50, epoch=epoch, at=at)
    assert ingest.commit_batch("gw-demo-1", payload(b), datetime.now(UTC)).committed == 50
    with engine.begin() as conn:  # the layout migrations before 0011 made
        conn.execute(
            text(
                "ALTER TABLE events SET (timescaledb.compress_segmentby = 'store_id', "
                "timescaledb.compress_orderby = 'occurred_at DESC')"
            )
        )
        conn.execute(text("SELECT compress_chunk(c) FROM show_chunks('events') c"))
        assert len(stale_chunks(conn)) == 1
    with engine.begin() as conn:
        assert len(apply_layout(conn)) == 1
    with engine.begin() as conn:
        assert settings_of(conn) == ("gateway_id,epoch", "seq,occurred_at DESC")
        assert stale_chunks(conn) == []
        compressed = "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed"
        assert conn.execute(text(compressed)).scalar_one() == 1
        assert apply_layout(conn) == []  # again: nothing to do
    segment = stream.Segment(0, 0, "t", "gw-demo-1", epoch, 1, 50, datetime.now(UTC))
    with sessions() as session:  # the stream's reader gets the events back, in order
        seqs = [e.seq for e in stream.load_events(session, [segment])]
    assert seqs == list(range(1, 51))


def _client(sessions: sessionmaker[Session], link_up: bool = True) -> TestClient:
    settings = hub_settings(TENANT_KEY)
    link = MqttLinkHealth(connected=link_up, disconnects=0, max_message_bytes=1024)
    return TestClient(build_api(settings, sessions, lambda: (link, {})))


def test_a_failing_timescale_job_is_degraded_but_up(
    engine: Engine, sessions: sessionmaker[Session]
) -> None:
    with _client(sessions) as client:
        if not _timescale(engine):
            response = client.get("/healthz")
            assert response.json()["timescale_jobs"] is None
            assert "storepulse_hub_timescale_job_failures{" not in client.get("/metrics").text
            return
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE PROCEDURE fails(job_id int, config jsonb) LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'the job failed'; END $$"
            )
        )
        job = conn.execute(
            text("SELECT add_job('fails', INTERVAL '1 hour', initial_start => now())")
        ).scalar_one()
    name = f"User-Defined Action [{job}]"
    with _client(sessions) as client:
        deadline = time.monotonic() + 60
        while True:  # the scheduler runs it within seconds
            response = client.get("/healthz")
            jobs = {j["job"]: j for j in response.json()["timescale_jobs"]}
            if jobs.get(name, {}).get("last_run_status") == "Failed":
                break
            assert time.monotonic() < deadline, f"{name} never ran: {jobs}"
            time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["status"] == "degraded"
        assert jobs[name]["total_failures"] >= 1 and jobs[name]["last_error"]
        metrics = client.get("/metrics").text
    assert f'storepulse_hub_timescale_job_failing{{job="{name}"}} 1.0' in metrics
    with _client(sessions, link_up=False) as client:  # down as well: 503, the jobs still there
        response = client.get("/healthz")
    assert response.status_code == 503
    assert name in {j["job"] for j in response.json()["timescale_jobs"]}
    assert f'storepulse_hub_timescale_job_failures{{job="{name}"}}' in metrics
