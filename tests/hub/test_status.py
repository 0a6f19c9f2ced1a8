"""Gateway status messages update the registry; the store's gateway list reflects them."""

from datetime import UTC, datetime, timedelta
from typing import Literal

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.db.models import DeadLetter
from hub.ingest.service import IngestService
from tests.hub.conftest import TENANT_KEY
from tests.support.hub_auth import admin_client, hub_settings
from wire.codec import encode
from wire.messages import GatewayStatus


def _status(
    gateway_id: str, clock: datetime | None, state: Literal["online", "offline"] = "online"
) -> bytes:
    return encode(
        GatewayStatus(
            gateway_id=gateway_id,
            state=state,
            version="0.3.1",
            clock=clock,
            outbox_depth=17,
            cache_version=4,
        )
    )


def _client(sessions: sessionmaker[Session]) -> TestClient:
    settings = hub_settings(TENANT_KEY, gateway_offline_after_seconds=300)
    return admin_client(build_api(settings, sessions), sessions)


def test_status_updates_gateway_list_with_skew_flag(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    ingest.record_status("gw-demo-1", _status("gw-demo-1", now - timedelta(seconds=600)), now)
    with _client(sessions) as client:
        response = client.get("/stores/store-sh-xuhui/gateways")
    assert response.status_code == 200
    [gw] = response.json()
    assert gw["id"] == "gw-demo-1"
    assert (gw["online"], gw["version"], gw["outbox_depth"]) == (True, "0.3.1", 17)
    assert gw["skew_flagged"] is True
    assert round(gw["clock_skew_seconds"]) == -600

    ingest.record_status("gw-demo-1", _status("gw-demo-1", now + timedelta(seconds=30)), now)
    with _client(sessions) as client:
        [gw] = client.get("/stores/store-sh-xuhui/gateways").json()
    assert gw["skew_flagged"] is False
    assert round(gw["clock_skew_seconds"]) == 30


def test_silent_gateway_counts_offline_and_last_will_sets_offline(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    long_ago = datetime.now(UTC) - timedelta(hours=1)
    ingest.record_status("gw-demo-2", _status("gw-demo-2", long_ago), long_ago)
    with _client(sessions) as client:
        [gw] = client.get("/stores/store-sh-jingan/gateways").json()
    assert (gw["online"], gw["stale"]) == (False, True)

    now = datetime.now(UTC)
    ingest.record_status("gw-demo-2", _status("gw-demo-2", None, state="offline"), now)
    with _client(sessions) as client:
        [gw] = client.get("/stores/store-sh-jingan/gateways").json()
    assert (gw["online"], gw["stale"]) == (False, False)
    assert gw["version"] == "0.3.1"


def test_bad_or_foreign_status_is_dead_lettered(
    ingest: IngestService, sessions: sessionmaker[Session]
) -> None:
    now = datetime.now(UTC)
    ingest.record_status("gw-demo-1", b"{oops", now)
    ingest.record_status("gw-demo-1", _status("gw-demo-2", now), now)
    ingest.record_status("gw-nobody", _status("gw-nobody", now), now)
    with sessions() as s:
        letters = [
            (d.kind, d.reason) for d in s.scalars(select(DeadLetter).order_by(DeadLetter.id))
        ]
    assert letters == [
        ("status", "invalid json"),
        ("status", "gateway mismatch"),
        ("status", "unknown gateway"),
    ]


def test_unknown_store_is_404(sessions: sessionmaker[Session], ingest: IngestService) -> None:
    with _client(sessions) as client:
        response = client.get("/stores/store-nowhere/gateways")
    assert response.status_code == 404
    assert "store-nowhere" in response.json()["detail"]
