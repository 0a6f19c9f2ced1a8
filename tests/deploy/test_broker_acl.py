"""The shipped Mosquitto ACL and credentials against a real Mosquitto 2.x (MQTT v5).

Mosquitto 2.0's acl_file does not check SUBSCRIBE (it grants the SUBACK) and checks read
access per message at delivery instead, so "cannot read" is asserted as "receives
nothing", with a barrier message the reader is allowed to see sent after the forbidden ones.
"""

import re
from collections.abc import Iterator

import pytest
from paho.mqtt.reasoncodes import ReasonCode

from hub.ingest.consumer import hub_client_id
from storepulse.provisioning.errors import ProvisioningError
from storepulse.provisioning.passwords import add_gateway, reload_broker, revoke_gateway
from tests.deploy.mqtt_probe import Probe, wait_for
from tests.deploy.secured_broker import SecuredBroker
from wire.topics import is_gateway_id

NOT_AUTHORIZED = "Not authorized"


class Clients:
    def __init__(self, broker: SecuredBroker) -> None:
        self.broker = broker
        self.open: list[Probe] = []

    def gateway(
        self,
        gateway_id: str,
        password: str | None = None,
        *,
        on_hub_listener: bool = False,
        **kw: str,
    ) -> Probe:
        secret = password if password is not None else self.broker.passwords[gateway_id]
        layout = self.broker.layout
        port = layout.hub_port if on_hub_listener else layout.gateway_port
        return self._add(Probe(port, gateway_id, secret, self.broker.ca.cert_path, **kw))

    def hub(self, client_id: str = "hub-1", *, on_gateway_listener: bool = False) -> Probe:
        layout = self.broker.layout
        return self._add(
            Probe(
                layout.gateway_port if on_gateway_listener else layout.hub_port,
                layout.hub_user,
                self.broker.hub_password,
                self.broker.ca.cert_path,
                client_id,
            )
        )

    def _add(self, probe: Probe) -> Probe:
        self.open.append(probe)
        return probe


@pytest.fixture
def clients(broker: SecuredBroker) -> Iterator[Clients]:
    made = Clients(broker)
    yield made
    for probe in made.open:
        probe.close()


def _ok(reason: ReasonCode) -> bool:
    """A PUBACK that accepted the message ("Success" or "No matching subscribers")."""
    return not reason.is_failure


def _connected(probe: Probe) -> Probe:
    assert str(probe.connect()) == "Success"
    return probe


def test_gateway_cannot_publish_into_another_gateways_events(clients: Clients) -> None:
    hub = _connected(clients.hub())
    assert str(hub.subscribe("$share/hub/sp/v1/gw/+/events")) == "Granted QoS 1"
    a = _connected(clients.gateway("A"))

    assert str(a.publish("sp/v1/gw/B/events", b"forged")) == NOT_AUTHORIZED
    assert _ok(a.publish("sp/v1/gw/A/events", b"own"))

    wait_for(lambda: hub.messages != [])
    assert hub.messages == [("sp/v1/gw/A/events", b"own")], "the forged batch never arrives"


def test_gateway_cannot_write_acks_caches_or_commands(clients: Clients) -> None:
    hub = _connected(clients.hub())
    b = _connected(clients.gateway("B"))
    for channel in ("ack", "cache", "cmd"):
        b.subscribe(f"sp/v1/gw/B/{channel}")
    a = _connected(clients.gateway("A"))

    for gateway in ("A", "B"):  # not even its own: only the hub writes these
        for channel in ("ack", "cache", "cmd"):
            topic = f"sp/v1/gw/{gateway}/{channel}"
            assert str(a.publish(topic, b"forged")) == NOT_AUTHORIZED, topic
    assert str(a.publish("sp/v1/gw/B/status", b"forged")) == NOT_AUTHORIZED

    assert _ok(hub.publish("sp/v1/gw/B/cmd", b"real"))
    wait_for(lambda: b.messages != [])
    assert b.messages == [("sp/v1/gw/B/cmd", b"real")]


def test_gateway_reads_nothing_of_another_gateway(clients: Clients) -> None:
    hub = _connected(clients.hub())
    b = _connected(clients.gateway("B"))
    assert _ok(b.publish("sp/v1/gw/B/status", b"B online", retain=True))
    a = _connected(clients.gateway("A"))
    filters = [f"sp/v1/gw/B/{c}" for c in ("ack", "cache", "cmd", "status", "events")]
    filters += ["sp/v1/gw/+/cmd", "sp/v1/gw/#", "#", "$share/x/sp/v1/gw/B/cmd"]
    subacks = {f: str(a.subscribe(f)) for f in filters}
    # Mosquitto 2.0 grants these subscriptions; a broker that refuses them is fine too.
    assert set(subacks.values()) <= {"Granted QoS 1", NOT_AUTHORIZED}, subacks

    for channel in ("ack", "cache", "cmd"):
        assert _ok(hub.publish(f"sp/v1/gw/B/{channel}", b"for B"))
    assert _ok(b.publish("sp/v1/gw/B/events", b"B's batch"))
    assert _ok(hub.publish("sp/v1/gw/A/cmd", b"barrier"))

    wait_for(lambda: ("sp/v1/gw/A/cmd", b"barrier") in a.messages)
    assert set(a.topics()) == {"sp/v1/gw/A/cmd"}, "nothing of B's, not even B's retained status"


def test_gateway_uses_its_own_topics(clients: Clients) -> None:
    hub = _connected(clients.hub())
    for channel in ("events", "status"):
        hub.subscribe(f"sp/v1/gw/+/{channel}")
    a = _connected(clients.gateway("A"))
    for channel in ("ack", "cache", "cmd"):
        assert str(a.subscribe(f"sp/v1/gw/A/{channel}")) == "Granted QoS 1"

    assert _ok(a.publish("sp/v1/gw/A/events", b"batch"))
    assert _ok(a.publish("sp/v1/gw/A/status", b"online", retain=True))
    for channel in ("ack", "cache", "cmd"):
        assert _ok(hub.publish(f"sp/v1/gw/A/{channel}", channel.encode()))

    wait_for(lambda: len(a.messages) == 3 and len(hub.messages) == 2)
    assert sorted(a.messages) == [
        ("sp/v1/gw/A/ack", b"ack"),
        ("sp/v1/gw/A/cache", b"cache"),
        ("sp/v1/gw/A/cmd", b"cmd"),
    ]
    assert sorted(hub.messages) == [
        ("sp/v1/gw/A/events", b"batch"),
        ("sp/v1/gw/A/status", b"online"),
    ]


def test_hub_workers_share_every_gateways_events(clients: Clients) -> None:
    workers = [_connected(clients.hub(f"hub-{n}")) for n in (1, 2)]
    for worker in workers:
        assert str(worker.subscribe("$share/hub/sp/v1/gw/+/events")) == "Granted QoS 1"
    plain = _connected(clients.hub("hub-plain"))
    plain.subscribe("sp/v1/gw/+/events")
    gateways = {gid: _connected(clients.gateway(gid)) for gid in ("A", "B")}

    sent = {(f"sp/v1/gw/{gid}/events", f"{gid}{n}".encode()) for gid in gateways for n in range(10)}
    for topic, payload in sorted(sent):
        assert _ok(gateways[topic.split("/")[3]].publish(topic, payload))

    wait_for(lambda: sum(len(w.messages) for w in workers) == 20 and len(plain.messages) == 20)
    shared = workers[0].messages + workers[1].messages
    assert sorted(shared) == sorted(sent), "each batch reaches exactly one worker of the group"
    assert set(plain.messages) == sent


def test_gateway_cannot_take_over_another_gateways_session(clients: Clients) -> None:
    a = _connected(clients.gateway("A"))
    impostor = _connected(clients.gateway("B", client_id="A"))
    # The broker renamed the impostor to its user name, so A keeps its session.
    assert _ok(impostor.publish("sp/v1/gw/B/events"))
    assert _ok(a.publish("sp/v1/gw/A/events"))
    assert a.disconnects == []


def test_gateway_cannot_take_over_a_session_through_the_hub_listener(clients: Clients) -> None:
    hub = _connected(clients.hub(hub_client_id()))
    assert str(hub.subscribe("sp/v1/gw/+/events")) == "Granted QoS 1"
    b = _connected(clients.gateway("B"))
    # The hub listener does not pin client ids, so it must not let a gateway in at all.
    for victim in ("B", hub.client_id):
        attempt = clients.gateway("A", on_hub_listener=True, client_id=victim)
        assert str(attempt.connect()) == NOT_AUTHORIZED, victim

    assert b.disconnects == [] and hub.disconnects == [], "nobody was kicked off"
    assert _ok(b.publish("sp/v1/gw/B/events", b"still here"))
    wait_for(lambda: hub.messages != [])
    assert hub.messages == [("sp/v1/gw/B/events", b"still here")]


def test_the_hubs_account_works_on_the_hub_listener_only(clients: Clients) -> None:
    assert str(clients.hub("hub-1", on_gateway_listener=True).connect()) == NOT_AUTHORIZED
    assert str(clients.hub("hub-2").connect()) == "Success"
    layout, ca = clients.broker.layout, clients.broker.ca.cert_path
    anonymous = Probe(layout.hub_port, None, None, ca, "anyone")
    clients.open.append(anonymous)
    assert str(anonymous.connect()) == NOT_AUTHORIZED


def test_no_gateway_can_be_given_the_hubs_client_id(broker: SecuredBroker) -> None:
    """On the gateway listener a client id is its user name, a gateway id; the hub's id is
    none (and is random, so not even a client on the hub listener can guess it)."""
    ids = {hub_client_id() for _ in range(3)}
    assert len(ids) == 3
    for client_id in ids:
        assert not is_gateway_id(client_id)
        assert re.fullmatch(r"_storepulse-hub-.+-\d+-[0-9a-f]{16}", client_id)
        with pytest.raises(ProvisioningError, match="bad gateway id"):
            add_gateway(broker.layout.password_file, client_id)


def test_wrong_or_missing_credentials_are_refused(clients: Clients) -> None:
    assert str(clients.gateway("A", password="not-its-password").connect()) == NOT_AUTHORIZED
    assert str(clients.gateway("Z", password="whatever").connect()) == NOT_AUTHORIZED
    b_password = clients.broker.passwords["B"]
    assert str(clients.gateway("A", password=b_password).connect()) == NOT_AUTHORIZED
    anonymous = Probe(clients.broker.layout.gateway_port, None, None, clients.broker.ca.cert_path)
    clients.open.append(anonymous)
    assert str(anonymous.connect()) == NOT_AUTHORIZED


def test_revoked_gateway_is_dropped_on_reload_and_refused_after(
    clients: Clients, broker: SecuredBroker
) -> None:
    a = _connected(clients.gateway("A"))
    b = _connected(clients.gateway("B"))

    assert revoke_gateway(broker.layout.password_file, "B") is True
    reload_broker(broker.pid)

    wait_for(lambda: b.disconnects != [])  # Mosquitto 2 re-checks connected clients
    b.client.loop_stop()
    assert str(clients.gateway("B").connect()) == NOT_AUTHORIZED
    assert _ok(a.publish("sp/v1/gw/A/events")), "other gateways carry on"
    assert a.disconnects == []


def test_new_gateway_is_accepted_after_reload(clients: Clients, broker: SecuredBroker) -> None:
    password = add_gateway(broker.layout.password_file, "C")
    broker.passwords["C"] = password
    assert str(clients.gateway("C").connect()) == NOT_AUTHORIZED, "the broker has not re-read"

    reload_broker(broker.pid)
    wait_for(lambda: broker.reloads() == 1)
    c = clients.gateway("C")
    assert str(c.connect()) == "Success"
    assert _ok(c.publish("sp/v1/gw/C/events"))
    assert str(c.publish("sp/v1/gw/A/events")) == NOT_AUTHORIZED
