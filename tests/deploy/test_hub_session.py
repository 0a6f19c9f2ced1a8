"""The hub's real ingest consumer on the secured broker's hub listener: it logs in with the
hub's own account, no gateway can take its session, and it keeps its client id when it
reconnects."""

from hub.db import make_engine, make_session_factory, migrate
from hub.ingest.consumer import IngestConsumer
from hub.ingest.service import IngestService
from hub.settings import HubSettings
from tests.deploy.mqtt_probe import Probe, wait_for
from tests.deploy.secured_broker import SecuredBroker


def _consumer(broker: SecuredBroker, url: str) -> IngestConsumer:
    migrate(url)
    sessions = make_session_factory(make_engine(url))
    settings = HubSettings(
        database_url=url,
        mqtt_port=broker.layout.hub_port,
        mqtt_username=broker.layout.hub_user,
        mqtt_password=broker.hub_password,  # type: ignore[arg-type]
        mqtt_tls_ca=broker.ca.cert_path,
        tenant_key="a-tenant-key-for-this-test",  # type: ignore[arg-type]
    )
    service = IngestService(sessions, b"a-tenant-key-for-this-test", settings.clock_skew_seconds)
    return IngestConsumer(settings, service, sessions)


def test_the_hub_keeps_its_session_and_its_client_id(broker: SecuredBroker, pg_url: str) -> None:
    consumer = _consumer(broker, pg_url)
    consumer.start()
    try:
        assert consumer.connected.wait(10), "the hub never logged in on its listener"
        client_id = consumer.client_id
        impostor = Probe(
            broker.layout.hub_port, "A", broker.passwords["A"], broker.ca.cert_path, client_id
        )
        assert str(impostor.connect()) == "Not authorized"
        impostor.close()
        assert "already connected, closing old connection" not in broker.log()

        broker.stop()
        wait_for(lambda: not consumer.connected.is_set())
        broker.start()
        wait_for(consumer.connected.is_set, timeout=40)  # paho's backoff, 1 s doubling
        assert consumer.client_id == client_id
        assert broker.log().count(f" as {client_id} ") == 2, "the same id both times"
    finally:
        consumer.stop()
