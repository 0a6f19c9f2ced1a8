"""A POS load driver: N distinct checkouts posted to the gateway's hook, each re-sent until
it gets 202, as a till does (docs/pos-protocol.md, "Retransmissions").

It runs in its own thread and event loop, so the test's thread is free to kill and
restart processes while requests are in flight. A bounded number of requests is in
flight at once. Connection refused or reset (the gateway is restarting), timeouts and 503
(outbox full) are retried with a capped backoff; anything else (401, 422) is a bug and
stops the run.
"""

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

Body = dict[str, Any]


def checkout_body(receipt: str, member: Body | None = None) -> Body:
    body: Body = {
        "receipt_no": receipt,
        "terminal": "T1",
        "total": 1280,
        "staff_id": "S7",
        "items": [
            {"sku": "SKU1", "qty": 2, "unit_price": 500, "name": "Amoxicillin"},
            {"sku": "SKU2", "qty": 1, "unit_price": 280},
        ],
    }
    if member is not None:
        body["member"] = member
    return body


@dataclass
class LoadReport:
    sent: int = 0  # checkouts that got their 202
    requests: int = 0  # POSTs made, re-sends included
    resends: Counter[str] = field(default_factory=Counter)  # why a checkout was re-sent
    seconds: float = 0.0
    error: str | None = None

    @property
    def resent(self) -> int:
        return sum(self.resends.values())


class CheckoutLoad:
    def __init__(
        self,
        url: str,
        token: str,
        receipts: Sequence[str],
        concurrency: int = 16,
        request_timeout: float = 10.0,
        retry_cap: float = 0.5,
        body: Callable[[str], Body] = checkout_body,
    ) -> None:
        self.url = url
        self.headers = {"Authorization": f"Bearer {token}"}
        self.receipts = list(receipts)
        self.concurrency = concurrency
        self.request_timeout = request_timeout
        self.retry_cap = retry_cap
        self.body = body
        self.report = LoadReport()
        self.accepted: set[str] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._hold_from: int | None = None  # receipts from this index wait for release()
        self._released = threading.Event()
        self._taken = 0

    # -- control from the test's thread ------------------------------------------------

    def hold_from(self, index: int) -> "CheckoutLoad":
        """Keep the receipts from `index` on until release(): faults set at shares of N
        then always strike with load still to come, however long the earlier ones took."""
        self._hold_from = index
        return self

    def release(self) -> None:
        self._released.set()

    def start(self) -> "CheckoutLoad":
        self._thread = threading.Thread(target=self._main, name="pos-load", daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float) -> LoadReport:
        """Wait for every checkout to be accepted; AssertionError if the run failed."""
        assert self._thread is not None
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stop.set()
            self._thread.join(15)
            raise TimeoutError(f"load not done in {timeout:.0f}s: {self.progress()} accepted")
        assert self.report.error is None, self.report.error
        return self.report

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(15)

    def progress(self) -> int:
        with self._lock:
            return len(self.accepted)

    @property
    def done(self) -> bool:
        return self._thread is not None and not self._thread.is_alive()

    # -- the loop ----------------------------------------------------------------------

    def _main(self) -> None:
        started = time.monotonic()
        try:
            asyncio.run(self._run())
        except Exception as exc:  # reported to the test through join()
            self.report.error = f"{type(exc).__name__}: {exc}"
        self.report.seconds = time.monotonic() - started

    async def _run(self) -> None:
        queue: asyncio.Queue[str] = asyncio.Queue()
        for receipt in self.receipts:
            queue.put_nowait(receipt)
        limits = httpx.Limits(max_connections=self.concurrency)
        timeout = httpx.Timeout(self.request_timeout)
        async with httpx.AsyncClient(limits=limits, timeout=timeout) as client:
            workers = [
                asyncio.create_task(self._worker(client, queue)) for _ in range(self.concurrency)
            ]
            await asyncio.gather(*workers)

    async def _worker(self, client: httpx.AsyncClient, queue: "asyncio.Queue[str]") -> None:
        while not queue.empty() and not self._stop.is_set():
            while self._held() and not self._stop.is_set():
                await asyncio.sleep(0.01)  # polls a flag set from the test's thread
            if queue.empty():
                break
            receipt = queue.get_nowait()
            self._taken += 1
            await self.send(client, receipt)

    def _held(self) -> bool:
        hold = self._hold_from
        return hold is not None and self._taken >= hold and not self._released.is_set()

    async def send(self, client: httpx.AsyncClient, receipt: str) -> None:
        """POST one checkout until 202, as a till would."""
        delay = 0.02
        while not self._stop.is_set():
            self.report.requests += 1
            reason = await self._post(client, receipt)
            if reason is None:
                with self._lock:
                    self.accepted.add(receipt)
                self.report.sent += 1
                return
            self.report.resends[reason] += 1
            await asyncio.sleep(delay)  # a till's retry interval, not a wait for a condition
            delay = min(delay * 2, self.retry_cap)

    async def _post(self, client: httpx.AsyncClient, receipt: str) -> str | None:
        """None on 202, else why it must be re-sent."""
        try:
            response = await client.post(
                f"{self.url}/pos/checkout", json=self.body(receipt), headers=self.headers
            )
        except httpx.TimeoutException:
            return "timeout"
        except httpx.TransportError as exc:
            return type(exc).__name__  # ConnectError while down, ReadError/RemoteProtocolError
        if response.status_code == 202:
            return None
        if response.status_code == 503:
            return "503"
        raise AssertionError(f"{receipt}: HTTP {response.status_code} {response.text[:300]}")
