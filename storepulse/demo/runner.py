"""`storepulse demo`: broker, hub and one emulated store in one process, on embedded defaults.

Interactive: Enter taps the member card again, `c` sends a checkout, `i` inserts the ID
card, `q` quits: single keys on a terminal, one command a line otherwise (`keys.py`).
`--check` runs the scenario once, headless, and exits 0 only if a tap gave a prompt, a
checkout reached the hub and the outbox drained.
"""

import asyncio
import os
import secrets
import sys
import tempfile
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from pathlib import Path

from rich.console import Console

from edge.gateway import Gateway
from hub.demo.logins import DEMO_PASSWORD, DemoLogin, demo_api_key, demo_logins
from hub.ingest.batch_outcome import IngestOutcome
from hub.runtime import HubRuntime
from storepulse.demo.broker import start_amqtt
from storepulse.demo.keys import ENTER, KeyInput
from storepulse.demo.paired import pairing_code
from storepulse.demo.rig import StoreRig, free_port, local_hub_settings, smartcard_available
from storepulse.demo.scenario import Scenario, StepFailed
from storepulse.emulators.pcscd import Pcscd
from wire.events import Event

console = Console(highlight=False, soft_wrap=True)


def say(line: str) -> None:
    console.print(line, markup=False)


def _describe(event: Event) -> str:
    fields = event.body.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
    brief = ", ".join(f"{k}={v}" for k, v in fields.items() if k not in {"items", "prompt_id"})
    return f"edge     #{event.seq} {event.type} {brief}"[:160]


def _hub_line(gateway_id: str, outcome: IngestOutcome) -> None:
    say(
        f"hub      {gateway_id}: {outcome.committed} committed, {outcome.duplicates} duplicate, "
        f"{outcome.dead_lettered} dead-lettered"
    )


async def _start_pcscd(workdir: Path) -> Pcscd | None:
    if not smartcard_available():
        say("idcard   skipped: pcscd, vsmartcard-vpcd, unshare or ip not installed")
        return None
    daemon = Pcscd(workdir / "pcscd")  # the demo's own: no other run's cards reach it
    os.environ.update(daemon.client_env())  # before pyscard's first call in this process
    try:
        return await asyncio.to_thread(daemon.ensure)
    except (OSError, RuntimeError, TimeoutError) as exc:
        say(f"idcard   skipped: pcscd did not start ({exc})")
        return None


def _say_logins(logins: list[DemoLogin]) -> None:
    """Who can log in (Authorize in /docs, or POST /auth/token), all with DEMO_PASSWORD."""
    names = ", ".join(f"{d.login} ({d.role})" for d in logins) or "none"
    say(f"logins      password {DEMO_PASSWORD!r} for each of: {names}")


async def _demo(workdir: Path, check: bool) -> int:
    tenant_key = secrets.token_urlsafe(24)
    broker_port = free_port()
    async with AsyncExitStack() as stack:
        broker = await start_amqtt(broker_port)
        stack.push_async_callback(broker.shutdown)
        # No database URL: the hub runs its embedded PostgreSQL in the demo's directory.
        settings = local_hub_settings(
            None, broker_port, tenant_key, mqtt_v5=False, data_dir=workdir / "hub"
        )
        hub = HubRuntime(settings, seed_demo_data=True)
        stack.push_async_callback(hub.stop)  # also after a failed start (its server)
        await hub.start()
        assert hub.consumer is not None
        hub.consumer.on_outcome = _hub_line

        pcscd = await _start_pcscd(workdir)
        if pcscd is not None:
            stack.callback(pcscd.stop)
        rig = StoreRig(
            "gw-demo-1",
            "store-sh-xuhui",
            workdir / "gateway",
            tenant_key,
            broker_port,
            mqtt_protocol="3.1.1",
            with_smartcard=pcscd is not None,
        )
        rig.start_devices()
        stack.callback(rig.stop_devices)
        gateway: Gateway = rig.gateway()
        await gateway.start()
        stack.push_async_callback(gateway.stop)
        gateway.pipeline.on_event = lambda event: say(_describe(event))

        hub_url = f"http://127.0.0.1:{hub.api_port}"
        assert hub.sessions is not None
        key = await asyncio.to_thread(demo_api_key, hub.sessions)
        scenario = Scenario(rig, gateway, hub_url, say, pcscd=pcscd, hub_headers={"X-API-Key": key})
        await scenario.start()
        stack.push_async_callback(scenario.stop)
        code = await pairing_code(gateway, "demo browser")
        say(
            f"store page  http://127.0.0.1:{gateway.page_port}/   (clerk prompts, live; "
            f"pair the browser with code {code.shown}, valid 10 minutes)"
        )
        say(f"hub API     {hub_url}/docs   e.g. {hub_url}/customers/cus-demo-01")
        _say_logins(await asyncio.to_thread(demo_logins, hub.sessions))
        say(f"broker      amqtt on 127.0.0.1:{broker_port}; data in {workdir}")
        say(f"database    embedded PostgreSQL 18 in {workdir / 'hub' / 'postgres'}")
        try:
            await scenario.cache_synced()
            await scenario.tap()
            await scenario.checkout()
            await scenario.service()
            if pcscd is not None:
                await scenario.id_card()
            await scenario.outbox_drained()
        except StepFailed as exc:
            say(f"FAILED   {exc}")
            return 1
        if check:
            say(
                "check    passed: tap -> prompt, checkout -> hub, counter service -> hub, "
                "outbox drained"
            )
            return 0
        await _interact(scenario, pcscd is not None, sys.stdin.fileno())
    return 0


async def _interact(scenario: Scenario, with_card: bool, fd: int) -> None:
    actions: dict[str, Callable[[], Awaitable[object]]] = {
        ENTER: scenario.tap,
        "c": scenario.checkout,
        "s": scenario.service,
    }
    if with_card:
        actions["i"] = scenario.id_card
    async with KeyInput(fd) as keys:
        say(
            "\nEnter: tap the card again   c: checkout   s: tick 用药指导   "
            + ("i: ID card   " if with_card else "")
            + "q: quit   (Ctrl-C also quits)"
            + ("" if keys.single_keys else "   [not a terminal: one command a line]")
        )
        while (key := await keys.next_key()) != "q":
            if key is None:  # input ended (a pipe or /dev/null): run until interrupted
                await asyncio.Event().wait()
            action = actions.get(key or ENTER)
            try:
                if action is not None:
                    await action()
            except StepFailed as exc:
                say(f"FAILED   {exc}")


def run(check: bool = False, workdir: Path | None = None) -> int:
    """The demo in a scratch directory (or `workdir`); logging is quieted by run_demo."""
    with tempfile.TemporaryDirectory(prefix="storepulse-demo-") as scratch:
        directory = workdir or Path(scratch)
        try:
            return asyncio.run(_demo(directory, check))
        except KeyboardInterrupt:
            return 0
