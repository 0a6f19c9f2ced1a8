"""Renders the shipped Mosquitto templates for one deployment. They are package data
(storepulse/provisioning/mosquitto/, linked from deploy/mosquitto/), so an installed wheel
renders them as a checkout does."""

import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from storepulse.provisioning.errors import ProvisioningError
from wire.message_size import (
    CEILING_MAX_MESSAGE_BYTES,
    DEFAULT_MAX_MESSAGE_BYTES,
    MIN_MAX_MESSAGE_BYTES,
    packet_limit,
)
from wire.topics import GATEWAY_ID_PATTERN

TEMPLATE_DIR = Path(__file__).resolve().parent / "mosquitto"
CONF_NAME = "storepulse.conf"
ACL_NAME = "acl"
# Gateway ids start with a letter or digit (wire.topics.GATEWAY_ID_PATTERN), so a
# leading underscore keeps the hub's user name out of the gateways' name space.
DEFAULT_HUB_USER = "_hub"


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
    password_file: Path = Path("/etc/mosquitto/storepulse.passwd")
    acl_file: Path = Path("/etc/mosquitto/storepulse.acl")
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
        if re.match(GATEWAY_ID_PATTERN, value) or not value or any(c in value for c in "+#/: \t"):
            raise ValueError("must not be a valid gateway id (start it with '_') nor hold +#/:")
        return value


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
) -> tuple[Path, Path]:
    """Write storepulse.conf and acl into out_dir; return their paths. The conf names
    `layout.acl_file`, so point that at where the acl will be installed."""
    try:
        conf_template = (template_dir / CONF_NAME).read_text()
        acl_template = (template_dir / ACL_NAME).read_text()
        out_dir.mkdir(parents=True, exist_ok=True)
        conf_path, acl_path = out_dir / CONF_NAME, out_dir / ACL_NAME
        conf_path.write_text(render_text(conf_template, layout))
        acl_path.write_text(render_text(acl_template, layout))
    except OSError as exc:
        raise ProvisioningError(f"cannot render broker config into {out_dir}: {exc}") from exc
    return conf_path, acl_path
