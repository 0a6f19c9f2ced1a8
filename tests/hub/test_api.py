"""The customer 360 view, health, metrics and docs through FastAPI's TestClient."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.db import timescale
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, checkout, payload
from tests.hub.callers import XUHUI_CLERK, client_as


def _client(sessions: sessionmaker[Session]) -> TestClient:
    return client_as(sessions, XUHUI_CLERK)  # a clerk of the store: shown everything


def test_checkout_with_member_is_visible_in_customer_view(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    b = batch("gw-demo-1", [checkout("R-API-1", member="M1001", total=3700)], at=now)
    out = ingest.commit_batch("gw-demo-1", payload(b), now)
    assert out.committed == 1
    with _client(sessions) as client:  # stored and acked; the CRM has not seen it yet
        assert client.get("/healthz").json()["consumers"]["crm"]["lag_events"] == 1
        before = client.get("/customers/cus-demo-01").json()
    assert "R-API-1" not in {p["receipt_no"] for p in before["purchases"]}
    assert projector.drain().touched == {"store-sh-xuhui": {"cus-demo-01"}}
    with _client(sessions) as client:
        response = client.get("/customers/cus-demo-01")
    assert response.status_code == 200
    body = response.json()
    assert body["profile"]["name"] == "王芳"  # a clerk of the store: whole (docs/security.md)
    assert body["profile"]["phone"] == "+8613812345678"
    assert body["shown"]["items"] and body["shown"]["health_tags"]
    purchase = next(p for p in body["purchases"] if p["receipt_no"] == "R-API-1")
    assert purchase["total"] == 3700
    assert purchase["items"] == [
        {"sku": "6901234567011", "name": "阿莫西林胶囊 0.25g*24", "qty": 2, "unit_price": 1850}
    ]
    assert body["purchases"][0]["receipt_no"] == "R-API-1"  # newest first
    kinds = {(t["kind"], t["detail"]) for t in body["touchpoints"]}
    assert ("checkout", "R-API-1") in kinds
    masked = {i["kind"]: i["value"] for i in body["identities"]}
    assert masked["card_uid"] == "************C30B"
    assert masked["member_no"] == "****1"
    assert masked["id_hash"].endswith("…") and len(masked["id_hash"]) == 9


def test_unknown_customer_is_404_json(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    with _client(sessions) as client:
        response = client.get("/customers/cus-nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "not found: customer cus-nobody"}


def test_health_metrics_and_docs(ingest: IngestService, sessions: sessionmaker[Session]) -> None:
    ingest.commit_batch("gw-demo-1", b"{nope", datetime.now(UTC))
    with sessions() as session:
        timescale_here = timescale.installed(session.connection())
    with _client(sessions) as client:
        health = client.get("/healthz").json()
        # None without TimescaleDB; with it, a job whose last run failed makes it degraded
        # (tests/hub/test_timescale_layout.py).
        jobs = health.pop("timescale_jobs")
        assert (jobs is not None) == timescale_here
        failing = any(job["last_run_status"] == "Failed" for job in jobs or [])
        assert health == {
            "status": "degraded" if failing else "ok",
            "database": "ok",
            "mqtt": None,  # no MQTT link in this process: tests/hub/test_health_links.py
            "consumers": {  # late-day rollup refreshes: on TimescaleDB only
                "crm": {"lag_events": 0, "lag_seconds": 0.0, "run": None},
                **(
                    {"rollup_refresh": {"lag_events": 0, "lag_seconds": 0.0, "run": None}}
                    if timescale_here
                    else {}
                ),
            },
        }
        metrics = client.get("/metrics")
        assert metrics.status_code == 200
        assert (
            'storepulse_hub_dead_letters_total{kind="batch",reason="invalid json"}' in metrics.text
        )
        assert "storepulse_hub_stream_events_total" in metrics.text
        assert client.get("/docs").status_code == 200
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/healthz", "/customers/{customer_id}", "/stores/{store_id}/gateways"} <= set(paths)
