"""Gateway + real broker + hub, in one event loop, for the end-to-end tests."""

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from edge.gateway import Gateway
from hub.db.models import RawEvent
from hub.demo.logins import demo_api_key
from hub.runtime import HubRuntime
from storepulse.demo.rig import StoreRig, local_hub_settings
from storepulse.demo.scenario import Scenario


@dataclass
class System:
    hub: HubRuntime
    rig: StoreRig
    gateway: Gateway
    scenario: Scenario

    def hub_events(self) -> list[tuple[str, int]]:
        """(epoch, seq) of every event the hub committed for the gateway."""
        assert self.hub.sessions is not None
        with self.hub.sessions() as session:
            rows = session.execute(
                select(RawEvent.epoch, RawEvent.seq).where(
                    RawEvent.gateway_id == self.gateway.gateway_id
                )
            ).all()
        return [(str(epoch), seq) for epoch, seq in rows]

    async def restart_gateway(self, wipe_outbox: bool = False) -> None:
        """Stop the gateway (as a clean shutdown would), optionally delete its outbox file,
        and start a fresh process-equivalent on the same devices and data directory."""
        await self.scenario.stop()
        await self.gateway.stop()
        if wipe_outbox:
            for path in self.gateway.config.outbox_path.parent.glob("outbox.sqlite3*"):
                path.unlink()
        self.gateway = self.rig.gateway()
        await self.gateway.start()
        self.scenario = Scenario(
            self.rig,
            self.gateway,
            self.scenario.hub_api,
            lambda _: None,
            hub_headers=self.scenario.hub_headers,
        )
        await self.scenario.start()

    def hub_event_count(self) -> int:
        assert self.hub.sessions is not None
        with self.hub.sessions() as session:
            return int(session.execute(select(func.count()).select_from(RawEvent)).scalar_one())


@asynccontextmanager
async def running_system(
    database_url: str, broker_port: int, workdir: Path
) -> AsyncIterator[System]:
    tenant_key = secrets.token_urlsafe(24)
    settings = local_hub_settings(database_url, broker_port, tenant_key)
    hub = HubRuntime(settings, seed_demo_data=True)
    await hub.start()
    rig = StoreRig("gw-demo-1", "store-sh-xuhui", workdir / "gateway", tenant_key, broker_port)
    rig.start_devices()
    gateway = rig.gateway()
    await gateway.start()
    assert hub.sessions is not None
    headers = {"X-API-Key": demo_api_key(hub.sessions)}
    scenario = Scenario(
        rig, gateway, f"http://127.0.0.1:{hub.api_port}", lambda _: None, hub_headers=headers
    )
    await scenario.start()
    system = System(hub, rig, gateway, scenario)
    try:
        yield system
    finally:
        await system.scenario.stop()
        await system.gateway.stop()
        rig.stop_devices()
        await hub.stop()
