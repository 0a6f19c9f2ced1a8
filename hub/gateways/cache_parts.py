"""Cache entries cut into wire messages that fit the deployment's largest MQTT message
(`mqtt_max_message_bytes`, wire/message_size.py): by count, and by size in bytes.

The broker disconnects a client that publishes a packet over its `max_packet_size`, and
paho sends the same packet again on every reconnect, so a message that does not fit
stops all of the hub's traffic. Entries differ a lot in size (up to 50 identifiers and 50
tags each), so a count alone cannot bound a message.
"""

from pydantic import TypeAdapter

from wire.messages import CachedCustomer

# A message's own fields around its entries: schema_version, versions, the snapshot part,
# and a store_id of up to 200 characters (800 bytes of UTF-8).
ENVELOPE_BYTES = 2048
_ENTRIES: TypeAdapter[list[CachedCustomer]] = TypeAdapter(list[CachedCustomer])
ENTRY: TypeAdapter[CachedCustomer] = TypeAdapter(CachedCustomer)


def entries_budget(max_message_bytes: int) -> int:
    """Bytes of entries (their JSON list) one message of `max_message_bytes` may carry."""
    return max_message_bytes - ENVELOPE_BYTES


def cut(sizes: list[int], max_count: int, max_bytes: int) -> list[slice]:
    """Consecutive slices of items of these JSON sizes, each at most `max_count` items and
    `max_bytes` as a JSON list. An item larger than that alone gets a slice of its own."""
    out: list[slice] = []
    start, size = 0, 2  # the brackets
    for index, item in enumerate(sizes):
        count = index - start
        if count and (count == max_count or size + 1 + item > max_bytes):  # 1: the comma
            out.append(slice(start, index))
            start, size, count = index, 2, 0
        size += item + (1 if count else 0)
    if start < len(sizes):
        out.append(slice(start, len(sizes)))
    return out


def parts(
    entries: list[CachedCustomer], max_count: int, max_bytes: int
) -> list[list[CachedCustomer]]:
    """`entries` in order, in parts of at most `max_count` entries and `max_bytes` of JSON."""
    out: list[list[CachedCustomer]] = []
    for start in range(0, len(entries), max_count):
        chunk = entries[start : start + max_count]
        if len(_ENTRIES.dump_json(chunk)) <= max_bytes:  # the usual case: one dump
            out.append(chunk)
            continue
        sizes = [len(ENTRY.dump_json(entry)) for entry in chunk]
        out.extend(chunk[piece] for piece in cut(sizes, max_count, max_bytes))
    return out
