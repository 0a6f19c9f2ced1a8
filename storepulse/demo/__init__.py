"""The whole system in one process on embedded defaults (amqtt broker, hub on SQLite)."""

from storepulse.demo.runner import run_demo

__all__ = ["run_demo"]
