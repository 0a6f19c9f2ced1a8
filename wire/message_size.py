"""The largest MQTT message of a deployment: one number, set in the broker's, the hub's and
every gateway's configuration (`max_message_bytes`), all defaulting to the value here.

It counts the payload. The broker's `max_packet_size` is that plus PACKET_HEADROOM_BYTES
(fixed header, topic, packet id, properties), so a payload within the limit always fits a
packet the broker takes. Mosquitto disconnects a client that sends a bigger packet, and
paho sends it again on every reconnect: a sender must check before it publishes.
"""

from typing import Final

DEFAULT_MAX_MESSAGE_BYTES: Final = 1024 * 1024
MIN_MAX_MESSAGE_BYTES: Final = 256 * 1024  # a cache entry (up to ~200 KiB) must fit alone
CEILING_MAX_MESSAGE_BYTES: Final = 4 * 1024 * 1024  # wire.codec.MAX_PAYLOAD_BYTES
PACKET_HEADROOM_BYTES: Final = 4096


def packet_limit(max_message_bytes: int) -> int:
    """The broker's `max_packet_size` for payloads of at most `max_message_bytes`."""
    return max_message_bytes + PACKET_HEADROOM_BYTES


def message_limit(max_packet_bytes: int) -> int:
    """The largest payload that fits a packet of `max_packet_bytes` (a broker's CONNACK)."""
    return max(0, max_packet_bytes - PACKET_HEADROOM_BYTES)
