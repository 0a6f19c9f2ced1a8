"""A gateway written only from docs/wire.md (plain paho + json, no `wire` import) is served
by the hub: its events are committed and acked, its status brings a cache snapshot, a
re-sent batch is acked again without a second commit, and an event of a type this hub does
not know (a newer gateway) is dead-lettered alone while the events around it commit. Every
payload the hub refuses gets an answer: invalid JSON, a missing epoch, no events and more
than 4 MiB a `refused` ack, an event with seq 0 a refusal beside the others' commit, a
broken envelope its seqs as dead-lettered, and a seq re-used with other content a
conflict (dead-lettered)."""

import asyncio
import json
import queue
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from hub.runtime import HubRuntime
from storepulse.demo.rig import local_hub_settings
from tests.support.mosquitto import MosquittoBroker

GATEWAY = "gw-demo-2"  # seeded for store-sh-jingan


def _event(seq: int) -> dict[str, object]:
    return {
        "schema_version": 1,
        "event_id": str(uuid.uuid4()),
        "gateway_id": GATEWAY,
        "seq": seq,
        "occurred_at": "2026-11-25T17:30:12+08:00",
        "type": "card.tapped",
        "body": {"uid": f"04A1B2C3D4E5{seq:02X}", "technology": "Type2Tag", "reader": "nfc0"},
    }


def test_a_gateway_written_from_the_docs_is_served(
    mosquitto: MosquittoBroker, tmp_path: Path, pg_url: str
) -> None:
    async def scenario() -> None:
        url = pg_url
        settings = local_hub_settings(url, mosquitto.port, secrets.token_urlsafe(24))
        hub = HubRuntime(settings, seed_demo_data=True)
        await hub.start()
        try:
            await asyncio.to_thread(_talk_to_hub, mosquitto.port)
        finally:
            await hub.stop()

    asyncio.run(scenario())


def _talk_to_hub(port: int) -> None:
    inbox: queue.Queue[tuple[str, dict[str, object]]] = queue.Queue()
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=GATEWAY, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, m: inbox.put((m.topic, json.loads(m.payload)))
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for channel in ("ack", "cache", "cmd"):  # not its own events: some are not JSON
            client.subscribe(f"sp/v1/gw/{GATEWAY}/{channel}", qos=1)
        epoch = str(uuid.uuid4())
        batch = {
            "schema_version": 1,
            "gateway_id": GATEWAY,
            "epoch": epoch,
            "sent_at": datetime.now(UTC).isoformat(),
            "events": [_event(1), _event(2), _event(3)],
        }
        client.publish(f"sp/v1/gw/{GATEWAY}/events", json.dumps(batch), qos=1)
        ack = _next(inbox, f"sp/v1/gw/{GATEWAY}/ack")
        assert ack["epoch"] == epoch
        assert ack["committed"] == [{"first": 1, "last": 3}]

        client.publish(f"sp/v1/gw/{GATEWAY}/events", json.dumps(batch), qos=1)  # re-sent
        again = _next(inbox, f"sp/v1/gw/{GATEWAY}/ack")
        assert again["committed"] == [{"first": 1, "last": 3}], "duplicates are acked again"

        newer = {**_event(5), "type": "coupon.redeemed", "body": {"coupon": "C-1"}}
        mixed = {**batch, "events": [_event(4), newer, _event(6)]}
        for _ in range(2):  # the re-send is settled the same way
            client.publish(f"sp/v1/gw/{GATEWAY}/events", json.dumps(mixed), qos=1)
            ack = _next(inbox, f"sp/v1/gw/{GATEWAY}/ack")
            assert ack["committed"] == [{"first": 4, "last": 4}, {"first": 6, "last": 6}]
            assert ack["dead_lettered"] == [{"first": 5, "last": 5}]

        _refusals(client, inbox, batch)

        status = {
            "schema_version": 1,
            "gateway_id": GATEWAY,
            "state": "online",
            "clock": datetime.now(UTC).isoformat(),
            "cache_version": 0,
        }
        client.publish(f"sp/v1/gw/{GATEWAY}/status", json.dumps(status), qos=1, retain=True)
        # deltas of the checkouts above may come first: the snapshot is the one on base 0
        snapshot = _next(inbox, f"sp/v1/gw/{GATEWAY}/cache", base_version=0)
        assert snapshot["store_id"] == "store-sh-jingan"
        assert snapshot["upserts"], "the store's customers come with the snapshot"
    finally:
        client.loop_stop()
        client.disconnect()


def _refusals(
    client: mqtt.Client, inbox: "queue.Queue[tuple[str, dict[str, object]]]", batch: dict[str, Any]
) -> None:
    def answer(payload: bytes) -> dict[str, object]:
        client.publish(f"sp/v1/gw/{GATEWAY}/events", payload, qos=1)
        return _next(inbox, f"sp/v1/gw/{GATEWAY}/ack")

    whole = {
        "invalid json": b'{"schema_version": 1, "events": [',
        "invalid message": json.dumps({k: v for k, v in batch.items() if k != "epoch"}).encode(),
        "payload too large": json.dumps({**batch, "pad": "x" * (4 * 1024 * 1024)}).encode(),
    }
    for reason, payload in whole.items():
        ack = answer(payload)
        assert (ack["epoch"], ack["committed"], ack["dead_lettered"]) == (None, [], []), reason
        assert isinstance(ack["refused"], dict) and ack["refused"]["reason"] == reason

    ack = answer(json.dumps({**batch, "events": []}).encode())
    assert ack["epoch"] == batch["epoch"] and ack["dead_lettered"] == []
    assert isinstance(ack["refused"], dict) and ack["refused"]["reason"] == "invalid message"

    ack = answer(json.dumps({**batch, "events": [_event(7), _event(0), _event(8)]}).encode())
    assert ack["committed"] == [{"first": 7, "last": 8}], "the bad seq alone is refused"
    assert isinstance(ack["refused"], dict) and "seq" in str(ack["refused"]["detail"])

    broken = {**batch, "sent_at": "yesterday", "events": [_event(9), _event(10)]}
    ack = answer(json.dumps(broken).encode())
    assert (ack["dead_lettered"], ack["refused"]) == ([{"first": 9, "last": 10}], None)

    reused = {**batch, "events": [_event(1)]}  # seq 1 was committed with another event_id
    ack = answer(json.dumps(reused).encode())
    assert (ack["committed"], ack["dead_lettered"]) == ([], [{"first": 1, "last": 1}])


def _next(
    inbox: "queue.Queue[tuple[str, dict[str, object]]]", topic: str, **fields: object
) -> dict[str, object]:
    """The next message on `topic` whose payload has these field values."""
    while True:
        got_topic, payload = inbox.get(timeout=20)
        if got_topic == topic and all(payload.get(k) == v for k, v in fields.items()):
            return payload
