"""`storepulse hub serve` and `storepulse hub migrate`."""

import asyncio
import sys
from pathlib import Path

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
    migrate_db(settings.require_database_url())
    return 0


async def _serve(runtime: HubRuntime) -> None:
    await runtime.start()
    try:
        await runtime.wait()
    finally:
        await runtime.stop()


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
