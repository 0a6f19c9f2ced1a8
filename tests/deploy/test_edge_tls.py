"""The real edge uplink through the broker's TLS gateway listener, with its own
credentials: it verifies the broker against the deployment's CA, and keeps its events
in the outbox when it cannot trust the broker or is not let in."""

import asyncio
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import SecretStr

from edge.outbox import Outbox
from edge.uplink import Uplink, UplinkConfig
from storepulse.provisioning.passwords import reload_broker, revoke_gateway
from tests.deploy.mqtt_probe import Probe, wait_for
from tests.deploy.secured_broker import SecuredBroker
from tests.support.ack_hub import AckingHub
from tests.support.test_ca import TestCA
from wire.events import CardTapped
from wire.messages import CacheDelta, Command, GatewayStatus

EVENTS = 50


def _outbox(tmp_path: Path, gateway_id: str) -> Outbox:
    outbox = Outbox(tmp_path / f"{gateway_id}.db", gateway_id)
    outbox.open()
    now = datetime.now(UTC)
    outbox.append_many(
        [(CardTapped(uid=f"{i:08X}", technology="T", reader="r"), now) for i in range(EVENTS)]
    )
    return outbox


def _uplink(broker: SecuredBroker, outbox: Outbox, ca: Path, password: str) -> Uplink:
    def status(state: Literal["online", "offline"]) -> GatewayStatus:
        return GatewayStatus(gateway_id=outbox.gateway_id, state=state, outbox_depth=0)

    deltas: list[CacheDelta] = []
    commands: list[Command] = []
    config = UplinkConfig(
        host="127.0.0.1",
        port=broker.layout.gateway_port,
        username=outbox.gateway_id,
        password=SecretStr(password),
        tls_ca=ca,
        reconnect_min=1,
        reconnect_max=1,
        ack_timeout=2.0,
    )
    return Uplink(config, outbox, status, deltas.append, commands.append)


def _hub(broker: SecuredBroker) -> AckingHub:
    hub = AckingHub(
        broker.layout.hub_port,
        username=broker.layout.hub_user,
        password=broker.hub_password,
        tls_ca=broker.ca.cert_path,
    ).start()
    assert hub.subscribed.wait(5), "the hub never subscribed"
    return hub


async def _until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    await asyncio.to_thread(wait_for, predicate, timeout)


def test_uplink_delivers_through_the_tls_listener(tmp_path: Path, broker: SecuredBroker) -> None:
    async def scenario() -> None:
        outbox = _outbox(tmp_path, "A")
        hub = _hub(broker)
        uplink = _uplink(broker, outbox, broker.ca.cert_path, broker.passwords["A"])
        await uplink.start()
        try:
            await _until(lambda: outbox.stats().depth == 0)
        finally:
            await uplink.stop()
            hub.stop()
        assert hub.distinct() == {(outbox.epoch, seq) for seq in range(1, EVENTS + 1)}

    asyncio.run(scenario())


def _unknown_ca_alerts(broker: SecuredBroker) -> int:
    """Handshakes the client aborted because it could not verify the broker's cert."""
    return broker.log().count("alert unknown ca")


def test_uplink_refuses_a_broker_signed_by_another_ca(
    tmp_path: Path, broker: SecuredBroker
) -> None:
    stranger = TestCA.create(tmp_path / "other-ca", name="Someone else's CA")

    async def scenario() -> None:
        outbox = _outbox(tmp_path, "A")
        hub = _hub(broker)
        before = _unknown_ca_alerts(broker)
        uplink = _uplink(broker, outbox, stranger.cert_path, broker.passwords["A"])
        await uplink.start()
        try:
            await _until(lambda: _unknown_ca_alerts(broker) > before)
            assert not uplink.connected
        finally:
            await uplink.stop()
            hub.stop()
        assert outbox.stats().depth == EVENTS, "nothing sent, nothing lost"
        assert hub.distinct() == set()

    asyncio.run(scenario())

    # The same check, seen from the client: paho raises the verification error.
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="A", protocol=mqtt.MQTTv5)
    client.username_pw_set("A", broker.passwords["A"])
    client.tls_set(ca_certs=str(stranger.cert_path), tls_version=ssl.PROTOCOL_TLS_CLIENT)
    with pytest.raises(ssl.SSLCertVerificationError, match="certificate verify failed"):
        client.connect("127.0.0.1", broker.layout.gateway_port)


def test_revoked_uplink_keeps_its_events(tmp_path: Path, broker: SecuredBroker) -> None:
    revoke_gateway(broker.layout.password_file, "A")
    reload_broker(broker.pid)
    wait_for(lambda: broker.reloads() == 1)

    async def scenario() -> None:
        outbox = _outbox(tmp_path, "A")
        uplink = _uplink(broker, outbox, broker.ca.cert_path, broker.passwords["A"])
        await uplink.start()
        try:
            await _until(lambda: "disconnected, not authorised" in broker.log())
            assert not uplink.connected
        finally:
            await uplink.stop()
        assert outbox.stats().depth == EVENTS

    asyncio.run(scenario())


def test_plaintext_mqtt_on_the_tls_port_is_refused(broker: SecuredBroker) -> None:
    for port in (broker.layout.gateway_port, broker.layout.hub_port):
        probe = Probe(port, "A", broker.passwords["A"], ca=None)
        probe.client.connect("127.0.0.1", port)  # TCP is accepted and CONNECT sent ...
        try:
            # ... then the broker, expecting a TLS handshake, drops the connection.
            wait_for(lambda probe=probe: probe.client.loop(0.05) != mqtt.MQTT_ERR_SUCCESS)  # type: ignore[misc]
            assert probe.connack is None, "no CONNACK over plaintext"
        finally:
            probe.client.disconnect()
    assert broker.log().count("wrong version number") == 2
