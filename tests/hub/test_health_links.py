"""/healthz and /metrics tell the truth about the running hub's MQTT link and CRM
projection: a hub whose broker is gone is `degraded` (503), with the drop counted; it is
`ok` again once the link is back. (It used to say `ok` while the broker dropped it.)"""

import asyncio
import secrets
from pathlib import Path

import httpx

from hub.runtime import HubRuntime
from storepulse.demo.rig import local_hub_settings
from tests.support.mosquitto import MosquittoBroker


async def _until_health(url: str, status: str) -> dict[str, object]:
    for _ in range(1000):
        response = await asyncio.to_thread(httpx.get, url, timeout=10)
        body: dict[str, object] = response.json()
        if body["status"] == status:
            assert response.status_code == (200 if status == "ok" else 503)
            return body
        await asyncio.sleep(0.02)
    raise TimeoutError(f"/healthz never said {status}")


def test_healthz_reports_the_mqtt_link_and_the_projection(tmp_path: Path, pg_url: str) -> None:
    broker = MosquittoBroker(tmp_path / "broker").start()

    async def scenario() -> None:
        url = pg_url
        hub = HubRuntime(local_hub_settings(url, broker.port, secrets.token_urlsafe(24)))
        await hub.start()
        try:
            health = f"http://127.0.0.1:{hub.api_port}/healthz"
            up = await _until_health(health, "ok")
            assert up["mqtt"] == {
                "connected": True,
                "disconnects": 0,
                "last_disconnect": None,
                "max_message_bytes": 1024 * 1024,
            }
            crm = up["consumers"]["crm"]
            assert crm["run"] == {"running": True, "failures": 0, "last_error": None}
            assert crm["lag_events"] == 0

            broker.kill()
            down = await _until_health(health, "degraded")
            mqtt = down["mqtt"]
            assert isinstance(mqtt, dict)
            assert mqtt["connected"] is False and mqtt["disconnects"] == 1
            metrics = await asyncio.to_thread(httpx.get, f"http://127.0.0.1:{hub.api_port}/metrics")
            assert "storepulse_hub_mqtt_connected 0.0" in metrics.text
            assert "storepulse_hub_mqtt_disconnects_total" in metrics.text

            broker.start()  # the same port: paho reconnects by itself
            again = await _until_health(health, "ok")
            assert again["mqtt"] == {**mqtt, "connected": True}
        finally:
            await hub.stop()

    try:
        asyncio.run(scenario())
    finally:
        broker.stop()
