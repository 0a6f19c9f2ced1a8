"""The demo scenario, step by step; `demo --check` and the end-to-end tests run the same steps.

Every step waits on an observable outcome with a deadline (a prompt on the store page's
stream, a purchase in the hub's API, an empty outbox), never on a fixed sleep.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx

from edge.gateway import Gateway
from hub.demo.data import PRODUCTS
from storepulse.demo.paired import PairedDevice, paired_with
from storepulse.demo.rig import DEMO_CARD_UID, DEMO_ID_NUMBER, StoreRig
from storepulse.emulators.pcscd import Pcscd
from storepulse.emulators.pos_terminal import SaleLine

Say = Callable[[str], None]
# The checkout the demo's till sends: products of the seed's pharmacy (sku, name, fen), qty.
DEMO_SALE = ((PRODUCTS[0], 2), (PRODUCTS[2], 1))


class StepFailed(Exception):
    pass


async def until(what: str, check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        if time.monotonic() > deadline:
            raise StepFailed(f"{what}: not within {timeout:.0f}s")
        await asyncio.sleep(0.05)


async def sse_events(
    url: str, headers: dict[str, str]
) -> AsyncIterator[tuple[str, dict[str, Any]]]:
    """(event, data) pairs from a server-sent-events stream."""
    async with (
        httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=None)) as client,
        client.stream("GET", url, headers=headers) as response,
    ):
        response.raise_for_status()
        event = "message"
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif line.startswith("data:"):
                yield event, json.loads(line.partition(":")[2].strip())
            elif not line:
                event = "message"


class PromptWatcher:
    """Collects prompts from the store page's live stream, as a clerk's browser would
    (a paired device: `device` carries its cookie)."""

    def __init__(self, page_url: str, device: PairedDevice) -> None:
        self.url = f"{page_url}/prompts/stream"
        self.device = device
        self.prompts: list[dict[str, Any]] = []
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for event, data in sse_events(self.url, self.device.headers):
            if event == "prompt":
                self.prompts.append(data)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def wait_for(self, trigger: str, after: int, timeout: float) -> dict[str, Any]:
        async def seen() -> bool:
            return any(p["trigger"] == trigger for p in self.prompts[after:])

        await until(f"a {trigger} prompt on the store page", seen, timeout)
        return next(p for p in self.prompts[after:] if p["trigger"] == trigger)


class Scenario:
    def __init__(
        self,
        rig: StoreRig,
        gateway: Gateway,
        hub_api: str,
        say: Say,
        timeout: float = 30.0,
        pcscd: Pcscd | None = None,  # where the ID card is inserted; None: no pcscd
        hub_headers: dict[str, str] | None = None,  # a credential for the hub API
    ) -> None:
        self.rig = rig
        self.hub_headers = hub_headers or {}
        self.pcscd = pcscd
        self.gateway = gateway
        self.hub_api = hub_api.rstrip("/")
        self.say = say
        self.timeout = timeout
        self.page_url = f"http://127.0.0.1:{gateway.page_port}"
        self.device: PairedDevice | None = None  # paired at start()
        self.watcher: PromptWatcher | None = None
        self._receipts = 0
        self.last_prompt: dict[str, Any] | None = None  # the last tap's, for service()

    async def start(self) -> None:
        self.device = await paired_with(self.gateway, self.page_url, "demo watcher")
        self.watcher = PromptWatcher(self.page_url, self.device)
        await self.watcher.start()

    async def stop(self) -> None:
        if self.watcher is not None:
            await self.watcher.stop()

    def watching(self) -> PromptWatcher:
        assert self.watcher is not None, "Scenario.start() first"
        return self.watcher

    async def cache_synced(self) -> None:
        async def synced() -> bool:
            return self.gateway.cache.version > 0 and len(self.gateway.cache) > 0

        await until("the gateway's cache snapshot", synced, self.timeout)
        self.say(
            f"cache    snapshot v{self.gateway.cache.version}: {len(self.gateway.cache)} "
            "customers cached at the store"
        )

    async def tap(self) -> dict[str, Any]:
        assert self.rig.tag is not None
        seen = len(self.watching().prompts)
        started = time.monotonic()
        self.rig.tag.present(1)
        prompt = await self.watching().wait_for("card.tapped", seen, self.timeout)
        self.last_prompt = prompt
        purchases = "; ".join(p["summary"] for p in prompt.get("last_purchases", []))
        self.say(
            f"prompt   {prompt['title']}: {prompt['display_name']} "
            f"({time.monotonic() - started:.2f}s after the card was presented) "
            f"last purchases: {purchases or '-'}"
        )
        if household := prompt.get("household"):
            members = ", ".join(m["label"] for m in household["members"])
            self.say(f"family   {members}; " + "; ".join(household["lines"]))
        return prompt

    async def checkout(self) -> str:
        assert self.rig.pos is not None
        self._receipts += 1
        receipt = f"R{int(time.time())}-{self._receipts}"
        lines = [SaleLine(sku, qty, price, name) for (sku, name, price), qty in DEMO_SALE]
        pos = self.rig.pos
        answer = await asyncio.to_thread(
            pos.send_checkout, receipt, lines, member=f"card_uid:{DEMO_CARD_UID}", staff="S07"
        )
        if answer != b"\x06":
            raise StepFailed(f"POS got {answer!r} instead of ACK for {receipt}")
        self.say(f"pos      checkout {receipt} ACKed by the gateway")
        stored: dict[str, Any] = {}

        async def at_hub() -> bool:
            stored.update(await self._hub_purchase(receipt))
            return bool(stored)

        await until(f"{receipt} in the hub's customer 360", at_hub, self.timeout)
        if stored["items"] is None:  # the demo's API key is not shown what was bought
            shown = f"{stored['total'] / 100:.2f} {stored['currency']} (items not shown to a key)"
        else:
            shown = ", ".join(f"{i['name']} x{i['qty']}" for i in stored["items"])
        self.say(f"hub      customer 360 of cus-demo-01 shows {receipt}: {shown}")
        return receipt

    async def service(self, service_type: str = "medication_advice") -> None:
        """The clerk taps a counter service on the last tapped card; the hub's customer
        360 shows it as a service touchpoint."""
        assert self.device is not None
        prompt = self.last_prompt
        if prompt is None:
            raise StepFailed("no card tapped yet: tap one first")
        before = len(await self.hub_services())
        url = f"{self.page_url}/prompts/{prompt['prompt_id']}/services"
        async with httpx.AsyncClient(timeout=5.0, headers=self.device.headers) as client:
            response = await client.post(url, json={"service_type": service_type})
        if response.status_code != 202:
            raise StepFailed(f"ticking {service_type} got HTTP {response.status_code}")
        self.say(f"counter  {service_type} ticked on {prompt['display_name']}'s card")

        async def at_hub() -> bool:
            return len(await self.hub_services()) > before

        await until(f"{service_type} in the hub's customer 360", at_hub, self.timeout)
        self.say(f"hub      customer 360 of cus-demo-01 shows the service {service_type}")

    async def hub_services(self) -> list[dict[str, Any]]:
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(
                f"{self.hub_api}/customers/cus-demo-01", headers=self.hub_headers
            )
        if response.status_code != 200:
            return []
        return [t for t in response.json().get("touchpoints", []) if t["kind"] == "service"]

    async def _hub_purchase(self, receipt: str) -> dict[str, Any]:
        """The purchase as the hub's API shows it, or {} while it is not there yet."""
        async with httpx.AsyncClient(timeout=5.0) as client:
            response = await client.get(
                f"{self.hub_api}/customers/cus-demo-01", headers=self.hub_headers
            )
        if response.status_code != 200:
            return {}
        purchases = response.json().get("purchases", [])
        return next((p for p in purchases if p["receipt_no"] == receipt), {})

    async def id_card(self) -> dict[str, Any]:
        if self.pcscd is None:
            raise StepFailed("no pcscd: the ID card cannot be inserted")
        seen = len(self.watching().prompts)
        with self.pcscd.card(DEMO_ID_NUMBER):
            prompt = await self.watching().wait_for("idcard.read", seen, self.timeout)
        self.say(f"prompt   {prompt['title']}: {prompt['display_name']} (ID card, hashed)")
        return prompt

    async def outbox_drained(self) -> None:
        async def empty() -> bool:
            return self.gateway.outbox.stats().depth == 0

        await until("the outbox to drain", empty, self.timeout)
        self.say(
            f"outbox   empty: every event acknowledged by the hub "
            f"(next seq {self.gateway.outbox.stats().next_seq})"
        )
