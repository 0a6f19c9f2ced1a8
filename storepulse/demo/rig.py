"""One emulated store: a gateway whose devices are emulators, wired to a hub's broker.

Used by the demo and by the end-to-end tests. The NFC card is an nfcpy Type 3 tag
emulated over the udp driver, the POS is a pty speaking the documented frame protocol,
and the ID card is a vpcd virtual card when pcscd and vsmartcard are installed.
"""

import shutil
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from edge.config import GatewayConfig, parse_config
from edge.gateway import Gateway
from hub.settings import HubSettings
from storepulse.emulators.nfc_tag import TagEmulator
from storepulse.emulators.pos_terminal import PosTerminal

DEMO_CARD_UID = "01010501B00AC30B"  # seeded customer cus-demo-01, member M1001
DEMO_MEMBER_NO = "M1001"
DEMO_ID_NUMBER = "31010419880315432X"  # the same customer's ID card (hashed at the reader)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def smartcard_available() -> bool:
    """pcscd with vpcd, and what runs it in namespaces of its own (emulators/pcscd.py)."""
    tools = ("pcscd", "unshare", "ip")
    return all(shutil.which(t) for t in tools) and Path("/etc/reader.conf.d/vpcd").is_file()


def local_hub_settings(
    database_url: str | None,
    broker_port: int,
    tenant_key: str,
    mqtt_v5: bool = True,
    data_dir: Path = Path("var/hub"),
) -> HubSettings:
    """A hub on loopback with its API on a free port; MQTT 3.1.1 (amqtt) has no shared
    subscription, so the hub then subscribes plainly. No database URL: the hub's embedded
    PostgreSQL in `data_dir`."""
    return HubSettings(
        database_url=database_url,
        data_dir=data_dir,
        mqtt_port=broker_port,
        mqtt_protocol="5" if mqtt_v5 else "3.1.1",
        mqtt_shared_group="hub" if mqtt_v5 else None,
        api_port=0,
        tenant_key=tenant_key,
    )


@dataclass
class StoreRig:
    """Emulated devices plus the gateway config that points at them."""

    gateway_id: str
    store_id: str
    data_dir: Path
    tenant_key: str
    mqtt_port: int
    mqtt_protocol: str = "5"
    with_smartcard: bool = False
    nfc_port: int = 0
    tag: TagEmulator | None = None
    pos: PosTerminal | None = None

    def start_devices(self) -> None:
        self.nfc_port = self.nfc_port or free_udp_port()
        self.tag = TagEmulator(
            f"udp:127.0.0.1:{self.nfc_port}", bytes.fromhex(DEMO_CARD_UID), DEMO_MEMBER_NO
        ).start()
        self.pos = PosTerminal().start()

    def stop_devices(self) -> None:
        if self.tag is not None:
            self.tag.stop()
        if self.pos is not None:
            self.pos.stop()

    def config(self, **overrides: Any) -> GatewayConfig:
        assert self.pos is not None, "start_devices() first"
        data: dict[str, Any] = {
            "gateway": {
                "id": self.gateway_id,
                "store_id": self.store_id,
                "data_dir": str(self.data_dir),
                "tenant_key": self.tenant_key,
            },
            "mqtt": {
                "port": self.mqtt_port,
                "protocol": self.mqtt_protocol,
                "reconnect_min": 1,
                "reconnect_max": 2,
                "ack_timeout": 5.0,
            },
            "store_page": {"host": "127.0.0.1", "port": 0},
            "readers": {
                "nfc": [
                    {
                        "name": "nfc0",
                        "device": f"udp:127.0.0.1:{self.nfc_port}",
                        "debounce_seconds": 0.3,  # the demo taps the same card on purpose
                    }
                ],
                "smartcard": [{"name": "idcard0"}] if self.with_smartcard else [],
            },
            "pos": {"serial": [{"name": "pos0", "port": self.pos.device_path}]},
        }
        for section, values in overrides.items():
            data.setdefault(section, {}).update(values)
        return parse_config(data, "demo rig")

    def gateway(self, **overrides: Any) -> Gateway:
        return Gateway(self.config(**overrides))
