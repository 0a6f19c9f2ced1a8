"""The rig itself: a private broker and a scratch database really work."""

import socket

import paho.mqtt.client as mqtt
import sqlalchemy as sa

from tests.support.mosquitto import MosquittoBroker


def test_private_broker_round_trip(mosquitto: MosquittoBroker) -> None:
    received: list[bytes] = []
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.on_message = lambda _c, _u, msg: received.append(msg.payload)
    client.connect("127.0.0.1", mosquitto.port)
    client.subscribe("t/#", qos=1)
    client.loop_start()
    try:
        client.publish("t/x", b"hello", qos=1).wait_for_publish(5)
        for _ in range(100):
            if received:
                break
            import time

            time.sleep(0.02)
    finally:
        client.loop_stop()
        client.disconnect()
    assert received == [b"hello"]


def test_scratch_database_is_empty_and_writable(pg_url: str) -> None:
    engine = sa.create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE t (x int)"))
        conn.execute(sa.text("INSERT INTO t VALUES (1)"))
        assert conn.execute(sa.text("SELECT count(*) FROM t")).scalar_one() == 1
    engine.dispose()


def test_a_listening_port_is_seen_without_connecting_to_it() -> None:
    """Listening ports come from /proc, without connecting (a probe would insert a card)."""
    from storepulse.emulators.pcscd import listening_ports

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        assert port not in listening_ports()  # bound, not yet listening
        listener.listen()
        assert port in listening_ports()
    assert port not in listening_ports()
