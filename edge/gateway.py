"""The gateway: wires readers, outbox, cache, uplink and the store page, and supervises them.

`Gateway(config)` does no I/O; `start()` opens the files, starts the readers, the uplink and
the page server; `stop()` undoes it. Each reader runs in a supervised task: if it fails, the
error is logged with the reader's name and the reader is restarted after a backoff.
"""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from uuid6 import uuid7

from edge.cache import CustomerCache
from edge.cache.follower import CacheFollower
from edge.config import GatewayConfig
from edge.outbox import Outbox
from edge.pipeline import Pipeline
from edge.pos.hook import build_pos_hook_router
from edge.pos.serial_link import SerialPosReader
from edge.prompt_bus import PromptBus
from edge.prompts import Prompt
from edge.readers.base import Observation, Reader
from edge.readers.nfc import NfcReader
from edge.readers.smartcard import SmartCardReader
from edge.store_device.access import DeviceAccess
from edge.store_device.db import DeviceDb
from edge.store_device.registry import DeviceRegistry
from edge.store_page import build_store_app, make_server
from edge.uplink import Uplink
from wire.limits import fitted
from wire.messages import (
    CacheDelta,
    Command,
    GatewayStatus,
    ReaderState,
    RequestStatus,
    ResyncCache,
    ShowPrompt,
)

log = logging.getLogger(__name__)
VERSION = "0.1.0"
STALL_CHECK_SECONDS = 5.0  # how often a snapshot being assembled is checked for a stall


class Gateway:
    def __init__(self, config: GatewayConfig) -> None:
        self.config = config
        self.gateway_id = config.gateway.id
        self.outbox = Outbox(
            config.outbox_path,
            self.gateway_id,
            max_bytes=config.outbox.max_bytes,
            low_priority_ratio=config.outbox.low_priority_ratio,
            dedupe_window_s=config.outbox.dedupe_window_s,
        )
        self.cache = CustomerCache(config.cache_path, max_customers=config.cache.max_customers)
        self.follower = CacheFollower(self.cache, stall_seconds=config.cache.snapshot_stall_s)
        self.bus = PromptBus()
        self.device_db = DeviceDb(config.devices_path)  # shared with `storepulse edge devices`
        self.devices = DeviceRegistry(self.device_db)
        self.uplink = Uplink(
            config.mqtt, self.outbox, self.status, self._on_cache_delta, self._on_command
        )
        self.pipeline = Pipeline(
            self.outbox,
            self.cache,
            self.bus,
            self.uplink.wake,
            self._on_reader_status,
            service_dedupe_window_s=config.outbox.service_dedupe_window_s,
            store_id=config.gateway.store_id,
            store_locale=config.store_page.store_locale,
        )
        self.readers: list[Reader] = []
        self.page_port: int | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._server_task: asyncio.Task[None] | None = None
        self._server: object | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._delta_lock = asyncio.Lock()  # FIFO: deltas apply in the order they arrived

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        tenant_key = self.config.gateway.tenant_key_bytes()
        self.outbox.open()
        await asyncio.to_thread(self.cache.open)
        self.readers = self._build_readers(tenant_key)
        await asyncio.to_thread(self.device_db.open)
        await self._start_page(tenant_key)
        await self.uplink.start()
        for reader in self.readers:
            self._tasks.append(asyncio.create_task(self._supervise(reader), name=reader.name))
        self._tasks.append(asyncio.create_task(self._watch_snapshot(), name="cache-snapshot"))
        log.info(
            "gateway %s started: epoch %s, %d readers, page on port %s",
            self.gateway_id,
            self.outbox.epoch,
            len(self.readers),
            self.page_port,
        )

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.uplink.stop()
        self.bus.close()  # ends open SSE streams so the server can shut down
        server = self._server
        if server is not None:
            server.should_exit = True  # type: ignore[attr-defined]
        if self._server_task is not None:
            await asyncio.gather(self._server_task, return_exceptions=True)
        await asyncio.to_thread(self.cache.close)
        self.device_db.close()
        self.outbox.close()

    # -- wiring ----------------------------------------------------------------------

    def _build_readers(self, tenant_key: bytes) -> list[Reader]:
        profiles = {profile.name: profile for profile in self.config.pos.profiles} or None
        readers: list[Reader] = []
        for nfc in self.config.readers.nfc:
            readers.append(NfcReader(nfc, self._rejecter(nfc.name)))
        for card in self.config.readers.smartcard:
            readers.append(SmartCardReader(card, tenant_key, self._rejecter(card.name)))
        for pos in self.config.pos.serial:
            readers.append(SerialPosReader(pos, tenant_key, self._rejecter(pos.name), profiles))
        return readers

    async def _start_page(self, tenant_key: bytes) -> None:
        page = self.config.store_page
        access = DeviceAccess(
            self.devices,
            page.allowed_host_names,
            tls=page.tls is not None,
            clerks=page.clerks,
            clerk_session_s=page.clerk_session_hours * 3600,
        )
        app = build_store_app(
            self.bus,
            self.pipeline.acted,
            self.health,
            access=access,
            on_service=self.pipeline.service_logged,
            services=page.counter_services,
            store_locale=self.pipeline.store_locale,
        )
        hook = self.config.pos.hook
        if hook is not None:
            profiles = {profile.name: profile for profile in self.config.pos.profiles} or None
            submit = self._submit
            app.include_router(
                build_pos_hook_router(
                    hook, tenant_key, submit, self._rejecter("pos_http"), profiles
                )
            )
        server = make_server(app, page.port, page.host, page.tls)
        self._server = server
        self._server_task = asyncio.create_task(server.serve(), name="store-page")
        while not server.started:
            if self._server_task.done():
                await self._server_task  # raises the bind error
            await asyncio.sleep(0.01)
        sockets = server.servers[0].sockets
        self.page_port = sockets[0].getsockname()[1]

    async def _submit(self, observation: Observation) -> None:
        await self.pipeline.handle(observation)

    def _rejecter(self, source: str) -> Callable[[str, bytes], None]:
        def reject(reason: str, raw: bytes) -> None:
            log.warning("rejected input from %s: %s", source, reason)
            self.outbox.dead_letter(source, reason, raw)

        return reject

    async def _supervise(self, reader: Reader) -> None:
        delay = 0.5
        while True:
            try:
                async for observation in reader.observations():
                    delay = 0.5
                    await self.pipeline.handle(observation)
            except asyncio.CancelledError:
                raise
            except Exception:  # the supervisor is the one place for a catch-all
                log.exception("reader %s failed; restarting in %.1fs", reader.name, delay)
            reader.health.state = "error"
            await asyncio.sleep(delay)
            delay = min(delay * 2, 30.0)

    # -- hub -> gateway --------------------------------------------------------------

    def _on_cache_delta(self, delta: CacheDelta) -> None:
        task = asyncio.get_running_loop().create_task(self._apply_delta(delta))
        self._background.add(task)  # a task nobody references may be collected mid-flight
        task.add_done_callback(self._background.discard)

    async def _apply_delta(self, delta: CacheDelta) -> None:
        # Our status carries the cache version; the hub answers a stale one with a snapshot.
        async with self._delta_lock:
            report = await asyncio.to_thread(self.follower.receive, delta)
        self.pipeline.refresh_unknown()  # the cache may now know a kept prompt's customer
        if report:
            self.uplink.publish_status()

    async def _watch_snapshot(self) -> None:
        while True:
            await asyncio.sleep(STALL_CHECK_SECONDS)
            async with self._delta_lock:
                ask = await asyncio.to_thread(self.follower.stalled)
            if ask:
                self.uplink.publish_status()

    def _on_command(self, command: Command) -> None:
        if isinstance(command, RequestStatus):
            self.uplink.publish_status()
        elif isinstance(command, ResyncCache):
            self.follower.resync = True
            self.uplink.publish_status()
        elif isinstance(command, ShowPrompt):
            now = datetime.now(UTC)
            self.bus.publish(
                Prompt(
                    prompt_id=uuid7(),
                    created_at=now,
                    created_at_local=self.pipeline.store_locale.local_time(now),
                    trigger="hub",
                    reader="hub",
                    customer_id=command.customer_id,
                    title=command.title,
                    display_name=command.text[:200],
                    is_new_customer=False,
                )
            )

    # -- status ----------------------------------------------------------------------

    def _on_reader_status(self, _status: object) -> None:
        self.uplink.publish_status()

    def status(self, state: Literal["online", "offline"]) -> GatewayStatus:
        stats = self.outbox.stats()
        return GatewayStatus(
            gateway_id=self.gateway_id,
            state=state,
            version=VERSION,
            epoch=self.outbox.epoch,
            clock=datetime.now(UTC),
            outbox_depth=stats.depth,
            cache_version=self.follower.reported_version(),
            readers=[
                ReaderState(
                    name=r.name, kind=r.kind, state=r.health.state, detail=fitted(r.health.detail)
                )
                for r in self.readers
            ],
        )

    def health(self) -> dict[str, object]:
        stats = self.outbox.stats()
        return {
            "gateway_id": self.gateway_id,
            "uplink": "connected" if self.uplink.connected else "disconnected",
            "outbox": {
                "depth": stats.depth,
                "bytes": stats.bytes,
                "refused": stats.refused,
                "duplicates": stats.duplicates,
                "dead_letters": stats.dead_letters,
            },
            "cache": {
                "version": self.cache.version,
                "customers": len(self.cache),
                "snapshot_parts": self.follower.assembling,  # [received, parts] or None
                **self.follower.counters,
            },
            "readers": {
                r.name: {"kind": r.kind, "state": r.health.state, "errors": r.health.errors}
                for r in self.readers
            },
            "pipeline": self.pipeline.counters,
            "uplink_counters": self.uplink.counters,
        }
