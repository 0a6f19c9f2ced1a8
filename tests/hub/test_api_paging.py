"""The customer 360 pages its purchases and touchpoints: `?limit=`, `next` cursors and the
two list routes walk a long history newest first, with no row twice and none left out."""

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.crm.customer_view import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor, encode_cursor
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.batches import batch, checkout, payload
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import admin_client, hub_settings

CUSTOMER = "cus-demo-01"
PER_BATCH = 15


def _client(sessions: sessionmaker[Session]) -> TestClient:
    return admin_client(build_api(hub_settings(TENANT_KEY), sessions), sessions)


def _history(ingest: IngestService, projector: ConsumerRunner) -> set[str]:
    """Two batches of checkouts by M1001 with the same timestamps, so `at` ties across
    rows and only the id orders them; projected into the CRM (two rounds, in order)."""
    at = datetime.now(UTC).replace(microsecond=0)
    receipts = set()
    for b in range(2):
        names = [f"R-PAGE-{b}-{i:02d}" for i in range(PER_BATCH)]
        out = ingest.commit_batch(
            "gw-demo-1", payload(batch("gw-demo-1", [checkout(r) for r in names], at=at)), at
        )
        assert out.committed == PER_BATCH
        assert projector.run_once().applied == PER_BATCH
        receipts.update(names)
    return receipts


def _walk(client: TestClient, first: dict[str, Any], key: str, route: str) -> list[dict[str, Any]]:
    rows, cursor = list(first[key]), first[f"{key}_next"]
    while cursor is not None:
        page = client.get(f"/customers/{CUSTOMER}/{route}", params={"limit": 7, "before": cursor})
        assert page.status_code == 200, page.text
        body = page.json()
        assert len(body[key]) <= 7
        rows.extend(body[key])
        cursor = body["next"]
    return rows


def test_360_returns_the_newest_page_and_the_routes_walk_the_rest(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    receipts = _history(ingest, projector)
    with _client(sessions) as client:
        full = client.get(f"/customers/{CUSTOMER}", params={"limit": MAX_LIMIT}).json()
        first = client.get(f"/customers/{CUSTOMER}", params={"limit": 5}).json()
        assert len(first["purchases"]) == 5 and len(first["touchpoints"]) == 5
        assert first["purchases_next"] is not None and first["touchpoints_next"] is not None
        purchases = _walk(client, first, "purchases", "purchases")
        touchpoints = _walk(client, first, "touchpoints", "touchpoints")
    assert full["purchases_next"] is None and full["touchpoints_next"] is None
    # Walking pages gives exactly the unpaged history, in the same order.
    assert purchases == full["purchases"]
    assert touchpoints == full["touchpoints"]
    assert receipts <= {p["receipt_no"] for p in purchases}
    assert len({p["receipt_no"] for p in purchases}) == len(purchases)
    ats = [p["at"] for p in purchases]
    assert ats == sorted(ats, reverse=True)
    assert all(p["items"] for p in purchases if p["receipt_no"] in receipts)


def test_default_limit_is_documented_and_applied(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    _history(ingest, projector)
    with _client(sessions) as client:
        body = client.get(f"/customers/{CUSTOMER}").json()
        spec = client.get("/openapi.json").json()
    assert len(body["purchases"]) == DEFAULT_LIMIT
    assert body["purchases_next"] is not None
    params = spec["paths"]["/customers/{customer_id}"]["get"]["parameters"]
    limit = next(p for p in params if p["name"] == "limit")
    assert limit["schema"]["default"] == DEFAULT_LIMIT
    assert limit["schema"]["maximum"] == MAX_LIMIT
    assert "newest first" in limit["description"]
    assert {"/customers/{customer_id}/purchases", "/customers/{customer_id}/touchpoints"} <= set(
        spec["paths"]
    )


def test_bad_limits_and_cursors_are_422_and_unknown_customers_404(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    with _client(sessions) as client:
        for limit in (0, MAX_LIMIT + 1, -1):
            assert client.get(f"/customers/{CUSTOMER}", params={"limit": limit}).status_code == 422
        for cursor in ("abc", "1.2.3", "-1.2", "9" * 30 + ".1"):
            response = client.get(f"/customers/{CUSTOMER}/purchases", params={"before": cursor})
            assert response.status_code == 422, cursor
        # Well-formed but past what the columns hold: clamped, so "older than that" is all.
        far = client.get(f"/customers/{CUSTOMER}/purchases", params={"before": "9" * 18 + ".9"})
        assert far.status_code == 200
        assert len(far.json()["purchases"]) == len(
            client.get(f"/customers/{CUSTOMER}").json()["purchases"]
        )
        for route in ("purchases", "touchpoints"):
            response = client.get(f"/customers/cus-nobody/{route}")
            assert response.status_code == 404
            assert response.json() == {"detail": "not found: customer cus-nobody"}
        # A known customer past the end of the history: an empty last page, not a 404.
        response = client.get(f"/customers/{CUSTOMER}/touchpoints", params={"before": "0.0"})
        assert response.status_code == 200
        assert response.json() == {"touchpoints": [], "next": None}


def test_cursor_round_trips_microseconds() -> None:
    at = datetime(2025, 3, 14, 9, 30, 1, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(at, 42)) == (at, 42)
