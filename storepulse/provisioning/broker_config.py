"""Renders the shipped Mosquitto templates for one deployment. They are package data
(storepulse/provisioning/mosquitto/, linked from deploy/mosquitto/), so an installed wheel
renders them as a checkout does."""

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storepulse.provisioning.errors import ProvisioningError
from storepulse.provisioning.passwords import DEFAULT_HUB_USER, check_hub_user
from wire.message_size import (
    CEILING_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_MESSAGE_BYTES,
    MIN_MAX_MESSAGE_BYTES,
    packet_limit,
)

TEMPLATE_DIR = Path(__file__).resolve().parent / "mosquitto"
CONF_NAME = "storepulse.conf"
ACL_NAME = "acl"  # the gateway listener's
HUB_ACL_NAME = "hub.acl"  # the hub listener's


class BrokerLayout(BaseModel):
    """Where things live on the broker host. Defaults suit Debian's mosquitto package."""

    model_config = ConfigDict(extra="forbid")

    gateway_port: int = Field(default=8883, ge=1, le=65535)
    gateway_bind: str = "0.0.0.0"
    hub_port: int = Field(default=8884, ge=1, le=65535)
    hub_bind: str = "127.0.0.1"
    hub_user: str = DEFAULT_HUB_USER
    max_message_bytes: int = Field(
        default=DEFAULT_MAX_MESSAGE_BYTES,
        ge=MIN_MAX_MESSAGE_BYTES,
        le=CEILING_MAX_MESSAGE_BYTES,
        description="largest MQTT payload; the hub's mqtt_max_message_bytes and the "
        "gateways' [mqtt] max_message_bytes must not be larger",
    )
    cafile: Path = Path("/etc/mosquitto/certs/ca.crt")
    certfile: Path = Path("/etc/mosquitto/certs/server.crt")
    keyfile: Path = Path("/etc/mosquitto/certs/server.key")
    # Gateways' accounts (add-gateway) and the hub's (set-hub-password) in separate files:
    # each listener reads its own, so an account works on its own listener only.
    password_file: Path = Path("/etc/mosquitto/storepulse.passwd")
    acl_file: Path = Path("/etc/mosquitto/storepulse.acl")
    hub_password_file: Path = Path("/etc/mosquitto/storepulse-hub.passwd")
    hub_acl_file: Path = Path("/etc/mosquitto/storepulse-hub.acl")
    persistence: bool = True
    persistence_location: Path = Path("/var/lib/mosquitto/")
    log_dest: str = "syslog"
    pid_file: Path | None = Path("/run/mosquitto/mosquitto.pid")
    run_as: str | None = Field(
        default=None, description="`user` option; None keeps Mosquitto's default (mosquitto)"
    )

    @field_validator("hub_user")
    @classmethod
    def _hub_user_is_not_a_gateway_id(cls, value: str) -> str:
        return check_hub_user(value)


def _fields(layout: BrokerLayout) -> dict[str, str]:
    values = {name: str(value) for name, value in layout.model_dump().items()}
    values["persistence"] = "true" if layout.persistence else "false"
    values["max_packet_size"] = str(packet_limit(layout.max_message_bytes))
    values["user_line"] = f"user {layout.run_as}" if layout.run_as else ""
    values["pid_line"] = f"pid_file {layout.pid_file}" if layout.pid_file else ""
    return values


_FIELD = re.compile(r"\{\{(\w+)\}\}")


def render_text(template: str, layout: BrokerLayout) -> str:
    """Fill `{{name}}` fields (Mosquitto files use `$` themselves: `$share`, `$SYS`)."""
    values = _fields(layout)

    def fill(match: re.Match[str]) -> str:
        try:
            return values[match.group(1)]
        except KeyError as exc:
            raise ProvisioningError(f"broker template has an unknown field {exc}") from exc

    return _FIELD.sub(fill, template)


def render_config(
    out_dir: Path, layout: BrokerLayout, template_dir: Path = TEMPLATE_DIR
) -> list[Path]:
    """Write storepulse.conf, acl and hub.acl into out_dir; return their paths. The conf
    names `layout.acl_file` and `layout.hub_acl_file`: install the ACLs there."""
    written = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name in (CONF_NAME, ACL_NAME, HUB_ACL_NAME):
            rendered = render_text((template_dir / name).read_text(), layout)
            (out_dir / name).write_text(rendered)
            written.append(out_dir / name)
    except OSError as exc:
        raise ProvisioningError(f"cannot render broker config into {out_dir}: {exc}") from exc
    return written
