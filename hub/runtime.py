"""The hub as one running thing: database, ingest, the event stream's consumers (the CRM
projection first) and the API server.

Used by `storepulse hub serve` and by the demo; `start()`/`stop()` do all the I/O.
"""

import asyncio
import logging

import uvicorn
from pydantic import SecretStr
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.api.schemas import ConsumerRun, MqttLinkHealth
from hub.api.server import api_server
from hub.auth.signing_key import load_or_create
from hub.db import make_engine, make_session_factory, migrate
from hub.db.embedded import EmbeddedPostgres
from hub.demo.logins import seed_logins
from hub.demo.seed import seed_demo
from hub.gateways.cache_follow import CacheFollower
from hub.ingest.consumer import IngestConsumer
from hub.ingest.processes import IngestProcesses, Initializer, can_share_ingest, ingest_service
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from hub.projection.loop import ConsumerLoop
from hub.projection.registry import stream_consumers
from hub.rules.schedule import Every, lead_decay
from hub.settings import HubSettings
from wire.topics import Channel

log = logging.getLogger(__name__)


class HubRuntime:
    def __init__(
        self,
        settings: HubSettings,
        seed_demo_data: bool = False,
        process_initializer: Initializer | None = None,
    ) -> None:
        self.settings = settings
        self.seed_demo_data = seed_demo_data
        self.process_initializer = process_initializer  # runs first in ingest processes
        self.engine: Engine | None = None
        self.sessions: sessionmaker[Session] | None = None
        self.service: IngestService | None = None
        self.consumer: IngestConsumer | None = None
        self.loops: list[ConsumerLoop] = []
        self.follower: CacheFollower | None = None  # API writes -> the stores' caches
        self.jobs: list[Every] = []  # work on a clock (hub/rules/schedule.py)
        self.ingest_processes: IngestProcesses | None = None
        self.api_port: int | None = None
        self._server: uvicorn.Server | None = None
        self._server_task: asyncio.Task[None] | None = None
        self.embedded: EmbeddedPostgres | None = None  # the hub's own server, without a URL

    @property
    def tenant_key(self) -> bytes:
        return self.settings.tenant_key.get_secret_value().encode()

    async def start(self) -> None:
        await self._start_embedded()
        self._signing_key()
        settings = self.settings
        await asyncio.to_thread(migrate, settings.require_database_url())
        self.engine = make_engine(settings.require_database_url())
        self.sessions = make_session_factory(self.engine)
        if self.seed_demo_data:
            await asyncio.to_thread(seed_demo, self.sessions, self.tenant_key)
            await asyncio.to_thread(seed_logins, self.sessions)
        self.service = ingest_service(settings, self.sessions)
        workers = settings.ingest_workers
        # With ingest processes, this one takes status only: its stream consumers would hold
        # the interpreter lock from under an ingest thread here and stall that share of acks.
        processes = self._ingest_processes()
        channels = (Channel.STATUS,) if processes else (Channel.EVENTS, Channel.STATUS)
        self.consumer = IngestConsumer(
            settings, self.service, self.sessions, workers=workers, channels=channels
        )
        with self.engine.connect() as conn:
            consumers = stream_consumers(conn, settings.leads.weights)
        self.loops = [
            ConsumerLoop(
                ConsumerRunner(self.sessions, consumer, settings.projection_max_events),
                self.consumer.publish_touched,
                # Commits in other processes cannot wake it: it looks more often then, and
                # only segments arriving during a round tell it that they are busy.
                idle_seconds=0.25 if processes else 1.0,
                ingest_busy=None if processes else self.consumer.busy,
                busy_share=settings.projection_busy_share,
            )
            for consumer in consumers
        ]
        self.consumer.on_committed = self._wake_consumers
        for loop in self.loops:  # first: they read what was committed before this start
            loop.start()
        self.consumer.start()
        self.follower = CacheFollower(
            self.engine,
            self.sessions,
            self.consumer.publish_deltas,
            self.consumer.max_message_bytes,
        )
        self.follower.start()
        self.jobs = [lead_decay(settings.leads, self.sessions)]
        for job in self.jobs:
            job.start()
        if processes:
            self.ingest_processes = processes
            processes.start()
        await self._start_api()

    async def _start_embedded(self) -> None:
        """Without a database URL, the hub's own server in data_dir; the settings passed on
        (ingest processes, API) then carry its URL."""
        if self.settings.database_url is not None or self.embedded is not None:
            return
        self.embedded = EmbeddedPostgres(self.settings.data_dir)
        url = await asyncio.to_thread(self.embedded.start)
        self.settings = self.settings.model_copy(update={"database_url": url})

    def _signing_key(self) -> None:
        """Without `auth_secret`, the key kept in data_dir (made on first start)."""
        if self.settings.auth_secret is None:
            key = load_or_create(self.settings.data_dir)
            self.settings = self.settings.model_copy(update={"auth_secret": SecretStr(key)})

    def _ingest_processes(self) -> IngestProcesses | None:
        """The processes that take event batches, when there are to be more than one."""
        count = self.settings.ingest_processes
        if count < 2:
            return None
        refused = can_share_ingest(self.settings)
        if refused is not None:
            log.warning("hub ingest: one process only (ingest_processes ignored): %s", refused)
            return None
        return IngestProcesses(self.settings, count, self.process_initializer)

    async def _start_api(self) -> None:
        assert self.sessions is not None
        app = build_api(self.settings, self.sessions, self.live_state)
        self._server = api_server(app, self.settings)
        self._server_task = asyncio.create_task(self._server.serve(), name="hub-api")
        while not self._server.started:
            if self._server_task.done():
                await self._server_task  # surfaces the bind error
                raise RuntimeError("hub API server exited during start-up")
            await asyncio.sleep(0.01)
        self.api_port = self._server.servers[0].sockets[0].getsockname()[1]
        log.info("hub API on http://%s:%s", self.settings.api_host, self.api_port)

    def _wake_consumers(self) -> None:
        for loop in self.loops:
            loop.wake()

    def live_state(self) -> tuple[MqttLinkHealth | None, dict[str, ConsumerRun]]:
        """The MQTT link of this process (the status one, with ingest processes) and the
        stream consumers' threads, for /healthz."""
        link = None
        consumer = self.consumer
        if consumer is not None:
            link = MqttLinkHealth(
                connected=consumer.connected.is_set(),
                disconnects=consumer.disconnects,
                last_disconnect=consumer.last_disconnect,
                max_message_bytes=consumer.max_message_bytes,
            )
        runs = {
            loop.runner.name: ConsumerRun(
                running=loop.running, failures=loop.failures, last_error=loop.last_error
            )
            for loop in self.loops
        }
        if self.follower is not None:
            follower = self.follower
            runs["cache_follower"] = ConsumerRun(
                running=follower.running,
                failures=follower.failures,
                last_error=follower.last_error,
            )
        return link, runs

    async def wait(self) -> None:
        """Until the API server exits (it handles SIGINT/SIGTERM)."""
        if self._server_task is not None:
            await self._server_task

    async def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._server_task is not None:
            await asyncio.gather(self._server_task, return_exceptions=True)
        if self.ingest_processes is not None:
            await asyncio.to_thread(self.ingest_processes.stop)
        if self.follower is not None:
            await asyncio.to_thread(self.follower.stop)
        for job in self.jobs:
            await asyncio.to_thread(job.stop)
        if self.consumer is not None:
            await asyncio.to_thread(self.consumer.stop)
        for loop in self.loops:
            await asyncio.to_thread(loop.stop)
        if self.engine is not None:
            self.engine.dispose()
        if self.embedded is not None:  # last: everything above may still use it
            await asyncio.to_thread(self.embedded.stop)
