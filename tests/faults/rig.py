"""One store under test: a hub process and a gateway process on a broker and a database.

Settings come from the environment so a reviewer can re-run with other figures
(docs/faults.md lists them). The gateway is `gw-demo-1` of store `store-sh-xuhui`, as
the hub's `--seed-demo` registers it, and shares the tenant key with the hub.
"""

import os
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tests.faults.ledger import HubLedger
from tests.support.net import free_port
from tests.support.processes import GatewayProcess, HubProcess, wait_for

GATEWAY_ID = "gw-demo-1"
STORE_ID = "store-sh-xuhui"
DEMO_CARD = {"kind": "card_uid", "value": "01010501B00AC30B"}  # cus-demo-01, cached


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


@dataclass(frozen=True)
class FaultSettings:
    n_long: int = 10_000
    n_short: int = 3_000
    concurrency: int = 16
    kill_at: tuple[float, ...] = (0.3, 0.6)
    outage_s: float = 20.0
    pg_down_s: float = 2.0
    ack_timeout_s: float = 5.0
    drain_timeout_s: float = 240.0
    mqtt: tuple[str, int] | None = None  # an external broker, for scenarios that keep it up
    external_pg: bool = False  # STOREPULSE_TEST_PG set: scratch databases on that server

    @property
    def test_timeout_s(self) -> float:
        """A generous limit per test: ~100 checkouts/s worst case, the outage, the drain."""
        return 120 + self.n_long / 100 + self.outage_s * 2 + self.drain_timeout_s

    @classmethod
    def from_env(cls) -> "FaultSettings":
        mqtt = os.environ.get("STOREPULSE_FAULT_MQTT")
        address = None
        if mqtt:
            host, _, port = mqtt.rpartition(":")
            address = (host or "127.0.0.1", int(port))
        kill_at = os.environ.get("STOREPULSE_FAULT_KILL_AT", "0.3,0.6")
        return cls(
            n_long=int(os.environ.get("STOREPULSE_FAULT_N", cls.n_long)),
            n_short=int(os.environ.get("STOREPULSE_FAULT_N_SHORT", cls.n_short)),
            concurrency=int(os.environ.get("STOREPULSE_FAULT_CONCURRENCY", cls.concurrency)),
            kill_at=tuple(float(part) for part in kill_at.split(",") if part.strip()),
            outage_s=_env_float("STOREPULSE_FAULT_OUTAGE_S", cls.outage_s),
            pg_down_s=_env_float("STOREPULSE_FAULT_PG_DOWN_S", cls.pg_down_s),
            ack_timeout_s=_env_float("STOREPULSE_FAULT_ACK_TIMEOUT_S", cls.ack_timeout_s),
            drain_timeout_s=_env_float("STOREPULSE_FAULT_DRAIN_S", cls.drain_timeout_s),
            mqtt=address,
            external_pg="STOREPULSE_TEST_PG" in os.environ,
        )


@dataclass
class FaultRig:
    workdir: Path
    settings: FaultSettings
    mqtt_host: str
    mqtt_port: int
    database_url: str
    outbox_overrides: dict[str, Any] = field(default_factory=dict)
    hub_overrides: dict[str, str] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: f"F{secrets.token_hex(3).upper()}")
    tenant_key: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    _device: dict[str, str] | None = field(default=None, init=False)

    def device_headers(self) -> dict[str, str]:
        """A paired store device's headers, to read the page as a tablet does (paired once:
        the device file is in the gateway's data dir, so it outlives gateway restarts)."""
        if self._device is None:
            self._device = self.gateway.paired_device()
        return self._device

    def __post_init__(self) -> None:
        self.hub = HubProcess(
            self.workdir / "hub",
            {
                "database_url": self.database_url,
                "mqtt_host": self.mqtt_host,
                "mqtt_port": str(self.mqtt_port),
                "mqtt_protocol": "5",
                "tenant_key": self.tenant_key,
                "ingest_workers": "2",
                # its own shared-subscription group: on a broker the tests did not start,
                # another hub's group must not split this gateway's batches with ours
                "mqtt_shared_group": f"fault{self.run_id}",
                **self.hub_overrides,
            },
            api_port=free_port(),
        )
        self.gateway = GatewayProcess(self.workdir / "gateway", self._gateway_config())
        self.ledger = HubLedger(self.database_url, GATEWAY_ID)

    def _gateway_config(self) -> dict[str, Any]:
        return {
            "gateway": {
                "id": GATEWAY_ID,
                "store_id": STORE_ID,
                "data_dir": str(self.workdir / "gateway" / "data"),
                "tenant_key": self.tenant_key,
            },
            "mqtt": {
                "host": self.mqtt_host,
                "port": self.mqtt_port,
                "protocol": "5",
                "reconnect_min": 1,
                "reconnect_max": 2,
                "ack_timeout": self.settings.ack_timeout_s,
            },
            "outbox": self.outbox_overrides,
            "store_page": {"host": "127.0.0.1", "port": free_port()},
            "pos": {"hook": {"token": self.token}},
        }

    # -- the run -----------------------------------------------------------------------

    def receipts(self, n: int) -> list[str]:
        return [f"{self.run_id}-{i:06d}" for i in range(n)]

    def start(self, hub: bool = True) -> "FaultRig":
        if hub:
            self.hub.start()
        self.gateway.start()
        if hub:
            self.wait_uplink()
        return self

    def wait_uplink(self, timeout: float = 60.0) -> None:
        wait_for(
            "gateway uplink connected",
            lambda: self._health_value("uplink") == "connected",
            timeout,
            diagnostics=self.diagnostics,
        )

    def wait_cache(self, timeout: float = 60.0) -> None:
        """Until the hub's cache snapshot reached the gateway (prompts need it)."""
        wait_for(
            "gateway cache synced",
            lambda: (self._health_value("cache") or {}).get("customers", 0) > 0,
            timeout,
            diagnostics=self.diagnostics,
        )

    def drained(self, expected: int) -> float:
        """Seconds until the hub holds `expected` checkouts and the outbox is empty."""
        started = time.monotonic()

        def done() -> bool:
            held = self.ledger.checkout_count()
            assert held is None or held <= expected, f"the hub holds {held} > {expected}"
            return held == expected and self.gateway.outbox_depth() == 0

        wait_for(
            f"hub holds {expected} checkouts and the outbox is empty",
            done,
            self.settings.drain_timeout_s,
            interval=0.2,
            diagnostics=self.diagnostics,
        )
        return time.monotonic() - started

    def projected(self, expected: int) -> float:
        """Seconds until the CRM projection (which follows the ack) holds `expected`
        purchases of this run; the exact check comes after."""
        started = time.monotonic()

        def done() -> bool:
            held = sum(self.ledger.holdings().purchase_receipts.values())
            assert held <= expected, f"the hub holds {held} purchases > {expected}"
            return held == expected

        wait_for(
            f"the CRM projection holds {expected} purchases",
            done,
            self.settings.drain_timeout_s,
            interval=0.5,
            diagnostics=self.diagnostics,
        )
        return time.monotonic() - started

    def _health_value(self, key: str) -> Any:
        try:
            return self.gateway.health().get(key)
        except Exception:  # not answering (restarting): "not yet"
            return None

    def diagnostics(self) -> str:
        try:
            health = self.gateway.health()
        except Exception as exc:
            health = {"error": str(exc)}
        return (
            f"hub checkouts={self.ledger.checkout_count()} gateway health={health}\n"
            f"{self.gateway.log_tail(3000)}\n{self.hub.log_tail(3000)}"
        )

    def close(self) -> int:
        """Stop both processes; return the events left in the outbox file (must be 0)."""
        self.gateway.stop()
        self.hub.stop()
        self.ledger.close()
        path = self.workdir / "gateway" / "data" / "outbox.sqlite3"
        if not path.exists():
            return 0
        with sqlite3.connect(path) as db:
            left: int = db.execute("SELECT count(*) FROM events").fetchone()[0]
        return left


class RigFactory(Protocol):
    """`make_rig(host, port, database_url, hub={setting: value}, **outbox_settings)`."""

    def __call__(
        self,
        host: str,
        port: int,
        database_url: str,
        hub: dict[str, str] | None = None,
        **outbox: object,
    ) -> FaultRig: ...
