"""`storepulse edge run`: one gateway process until SIGTERM/SIGINT."""

import asyncio
import logging
import signal
import sys
from pathlib import Path

from edge.config import load_config
from edge.errors import ConfigError
from edge.gateway import Gateway

log = logging.getLogger(__name__)


async def serve(gateway: Gateway) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await gateway.start()
    try:
        await stop.wait()
    finally:
        await gateway.stop()


def run_gateway(config_path: Path) -> int:
    try:
        config = load_config(config_path)
        config.gateway.tenant_key_bytes()
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    for warning in config.warnings():
        log.warning("config %s: %s", config_path, warning)
    gateway = Gateway(config)
    asyncio.run(serve(gateway))
    return 0
