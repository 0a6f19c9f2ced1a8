"""The demo's in-process MQTT broker (amqtt, MQTT 3.1.1 only: no shared subscriptions)."""

from amqtt.broker import Broker


async def start_amqtt(port: int) -> Broker:
    """Must run inside the event loop that will serve the broker."""
    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {}},
        }
    )
    await broker.start()
    return broker
