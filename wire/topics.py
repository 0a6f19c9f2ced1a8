"""MQTT topics. Every topic lives under one gateway's subtree so a broker ACL
(`pattern readwrite sp/v1/gw/%u/#`) can pin a gateway to its own topics."""

import re
from enum import StrEnum

from wire.errors import WireError

PREFIX = "sp/v1/gw"
# `$` is end of text for pydantic's Rust regex and in JSON Schema, but Python's `re.match`
# lets it match before a trailing newline ("gw-evil\n"): Python code uses is_gateway_id.
GATEWAY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_GATEWAY_ID = re.compile(GATEWAY_ID_PATTERN)


def is_gateway_id(value: str) -> bool:
    """The whole value matches GATEWAY_ID_PATTERN (a trailing newline does not)."""
    return _GATEWAY_ID.fullmatch(value) is not None


class Channel(StrEnum):
    EVENTS = "events"  # edge -> hub, batches
    ACK = "ack"  # hub -> edge, committed seq ranges
    STATUS = "status"  # edge -> hub, retained, also the Last Will
    CACHE = "cache"  # hub -> edge, cache deltas
    CMD = "cmd"  # hub -> edge, commands


def topic(gateway_id: str, channel: Channel) -> str:
    if not is_gateway_id(gateway_id):
        raise WireError("bad gateway id", gateway_id)
    return f"{PREFIX}/{gateway_id}/{channel.value}"


def hub_subscription(channel: Channel, shared_group: str | None) -> str:
    """The hub's filter for one channel of all gateways; shared (MQTT 5) when a group is given."""
    plain = f"{PREFIX}/+/{channel.value}"
    return f"$share/{shared_group}/{plain}" if shared_group else plain


def parse_topic(value: str) -> tuple[str, Channel]:
    """Split a topic into (gateway_id, channel); raises WireError for anything else."""
    parts = value.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != PREFIX:
        raise WireError("topic outside the contract", value)
    gateway_id, channel = parts[3], parts[4]
    if not is_gateway_id(gateway_id):
        raise WireError("bad gateway id", gateway_id)
    try:
        return gateway_id, Channel(channel)
    except ValueError as exc:
        raise WireError("unknown channel", channel) from exc
