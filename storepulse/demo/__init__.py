"""The whole system in one process on embedded defaults (amqtt broker, embedded PostgreSQL)."""

import logging
from pathlib import Path


def run_demo(check: bool = False, workdir: Path | None = None) -> int:
    """The demo's own lines tell the story: library logs are quieted to warnings."""
    logging.getLogger().setLevel(logging.WARNING)  # first: Alembic logs as it is imported
    from storepulse.demo.runner import run

    logging.getLogger("nfc").setLevel(logging.WARNING)  # after: nfcpy sets it on import
    return run(check, workdir)


__all__ = ["run_demo"]
