"""One max message size for broker, hub and gateway: the rendered broker config takes it,
the hub learns a lower limit from the broker's CONNACK, and it never publishes more (the
broker would drop its link, and paho would send the same packet on every reconnect)."""

import secrets
from pathlib import Path

from hub import metrics
from hub.db import make_engine, make_session_factory, migrate
from hub.ingest.consumer import IngestConsumer
from hub.ingest.service import IngestService
from tests.deploy.mqtt_probe import Probe, wait_for
from tests.deploy.secured_broker import SecuredBroker
from wire.message_size import MIN_MAX_MESSAGE_BYTES, PACKET_HEADROOM_BYTES

LIMIT = MIN_MAX_MESSAGE_BYTES  # the broker's; the hub is configured for four times that


def test_the_hub_keeps_to_the_brokers_limit_and_stays_connected(
    tmp_path: Path, pg_url: str
) -> None:
    broker = SecuredBroker.prepare(tmp_path / "broker", ("A",), max_message_bytes=LIMIT)
    conf = (broker.workdir / "storepulse.conf").read_text()
    assert f"max_packet_size {LIMIT + PACKET_HEADROOM_BYTES}\n" in conf
    broker.start()
    url = pg_url
    migrate(url)
    engine = make_engine(url)
    settings = broker.hub_settings(url, secrets.token_urlsafe(24), mqtt_max_message_bytes=4 * LIMIT)
    sessions = make_session_factory(engine)
    consumer = IngestConsumer(settings, IngestService(sessions, b"k" * 20, 120), sessions)
    probe = Probe(broker.layout.gateway_port, "A", broker.passwords["A"], broker.ca.cert_path)
    refused = metrics.MQTT_OVERSIZE.labels("cmd")
    before = refused._value.get()
    consumer.start()
    try:
        assert consumer.connected.wait(10)
        assert consumer.max_message_bytes == LIMIT, "the broker's CONNACK limit wins"
        probe.connect()
        probe.subscribe("sp/v1/gw/A/cmd")
        assert consumer.publish_and_wait("sp/v1/gw/A/cmd", b"x" * (LIMIT + 1)) is False
        assert refused._value.get() - before == 1
        assert consumer.publish_and_wait("sp/v1/gw/A/cmd", b"y" * LIMIT) is True
        wait_for(lambda: len(probe.messages) == 1, 10)
        assert probe.messages[0][1] == b"y" * LIMIT
        assert consumer.connected.is_set() and consumer.disconnects == 0
    finally:
        probe.close()
        consumer.stop()
        engine.dispose()
        broker.stop()
