"""A private Mosquitto started from the shipped deploy/mosquitto templates, rendered with
test paths and free loopback ports, with a test CA and real per-gateway credentials."""

import os
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.settings import HubSettings
from storepulse.emulators.processes import end_process
from storepulse.provisioning.broker_config import BrokerLayout, render_config
from storepulse.provisioning.passwords import add_gateway, set_hub_password
from tests.support.net import free_port, wait_for_port
from tests.support.test_ca import TestCA
from wire.message_size import DEFAULT_MAX_MESSAGE_BYTES


@dataclass
class SecuredBroker:
    workdir: Path
    ca: TestCA
    layout: BrokerLayout
    hub_password: str
    passwords: dict[str, str] = field(default_factory=dict)  # gateway id -> password
    process: subprocess.Popen[bytes] | None = None

    @classmethod
    def prepare(
        cls,
        workdir: Path,
        gateways: tuple[str, ...] = ("A", "B"),
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> "SecuredBroker":
        ca = TestCA.create(workdir / "ca")
        server = ca.server_cert()
        layout = BrokerLayout(
            gateway_port=free_port(),
            gateway_bind="127.0.0.1",
            hub_port=free_port(),
            hub_bind="127.0.0.1",
            cafile=ca.cert_path,
            certfile=server.cert,
            keyfile=server.key,
            password_file=workdir / "passwd",
            acl_file=workdir / "acl",
            hub_password_file=workdir / "hub.passwd",
            hub_acl_file=workdir / "hub.acl",
            persistence=False,
            persistence_location=workdir,
            log_dest=f"file {workdir / 'mosquitto.log'}",
            pid_file=None,
            # As root Mosquitto would drop to the `mosquitto` user, which cannot read the
            # test's 0600 files on a SIGHUP reload.
            run_as="root" if os.geteuid() == 0 else None,
            max_message_bytes=max_message_bytes,
        )
        render_config(workdir, layout)
        hub_password = set_hub_password(layout.hub_password_file, layout.hub_user)
        broker = cls(workdir, ca, layout, hub_password)
        for gateway_id in gateways:
            broker.passwords[gateway_id] = add_gateway(layout.password_file, gateway_id)
        return broker

    def hub_settings(self, database_url: str, tenant_key: str, **extra: Any) -> HubSettings:
        """A hub on the hub listener with its own account, TLS to this broker's CA."""
        return HubSettings(
            database_url=database_url,
            mqtt_port=self.layout.hub_port,
            mqtt_username=self.layout.hub_user,
            mqtt_password=self.hub_password,
            mqtt_tls_ca=self.ca.cert_path,
            api_port=0,
            tenant_key=tenant_key,
            **extra,
        )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def start(self) -> "SecuredBroker":
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        self.process = subprocess.Popen(
            [binary, "-c", str(self.workdir / "storepulse.conf")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.layout.gateway_port)
        wait_for_port(self.layout.hub_port)
        return self

    def stop(self) -> None:
        end_process(self.process)
        self.process = None

    def reloads(self) -> int:
        """SIGHUPs the broker has acted on (it logs each before re-reading its files)."""
        return self.log().count("Reloading config")

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""
