"""`storepulse hub serve` and `storepulse hub migrate`, and the hub database of a command."""

import asyncio
import signal
import sys
from pathlib import Path

from hub.admin_db import hub_database
from hub.db import migrate as migrate_db
from hub.errors import ConfigError
from hub.ingest.processes import Initializer
from hub.runtime import HubRuntime
from hub.settings import HubSettings, load_settings


def _settings(config: Path | None) -> HubSettings | None:
    try:
        return load_settings(config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def migrate(config: Path | None) -> int:
    settings = _settings(config)
    if settings is None:
        return 2
    with hub_database(settings) as url:
        migrate_db(url)
    return 0


async def _serve(runtime: HubRuntime) -> None:
    # SIGTERM stops the hub through runtime.stop() (ingest threads, the embedded
    # PostgreSQL): while serving, uvicorn takes it and then raises it again for this
    # handler, whose default would end the process first; during start, it stops after.
    terminated = asyncio.Event()
    loop = asyncio.get_running_loop()
    previous = signal.signal(signal.SIGTERM, lambda *_: loop.call_soon_threadsafe(terminated.set))
    try:  # stop() also after a failed start: it may have started the embedded server
        await runtime.start()
        if not terminated.is_set():
            await runtime.wait()
    finally:
        await runtime.stop()
        signal.signal(signal.SIGTERM, previous)


def run_hub(
    config: Path | None,
    seed_demo_data: bool = False,
    process_initializer: Initializer | None = None,
) -> int:
    """Migrate, then run ingest (worker threads, extra processes if configured) and the API
    until SIGINT/SIGTERM. `process_initializer` sets up logging in the extra processes."""
    settings = _settings(config)
    if settings is None:
        return 2
    asyncio.run(_serve(HubRuntime(settings, seed_demo_data, process_initializer)))
    return 0
