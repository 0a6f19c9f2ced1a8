"""A POS that got no answer re-sends: the gateway answers 202/ACK again and stores once.

Real pieces all the way down: the hook on uvicorn (or the serial reader on a pty), the
pipeline, the SQLite outbox and cache."""

import asyncio
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from pydantic import SecretStr

from edge.cache import CustomerCache
from edge.outbox import Outbox
from edge.pipeline import Pipeline
from edge.pos.hook import PosHookConfig, build_pos_hook_router
from edge.pos.serial_link import SerialPosConfig, SerialPosReader
from edge.readers.base import Observation
from edge.store_page import PromptBus
from storepulse.emulators.pos_terminal import ACK, PosTerminal, frame
from tests.support.net import free_port, wait_for_port

KEY = b"tenant-key-for-tests-0123456789ab"
TOKEN = "pos-hook-token-5f1c9a7e2b4d8"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _checkout(receipt: str, terminal: str = "T1", **extra: Any) -> dict[str, Any]:
    return {
        "receipt_no": receipt,
        "terminal": terminal,
        "total": 500,
        "items": [{"sku": "SKU1", "qty": 1, "unit_price": 500}],
        **extra,
    }


@dataclass
class Store:
    outbox: Outbox
    pipeline: Pipeline
    url: str = ""


def _store(tmp_path: Path) -> Store:
    outbox = Outbox(tmp_path / "outbox.sqlite3", "gw-1")
    outbox.open()
    cache = CustomerCache(tmp_path / "cache.sqlite3")
    cache.open()
    pipeline = Pipeline(outbox, cache, PromptBus(), lambda: None, lambda _s: None)
    return Store(outbox, pipeline)


@pytest.fixture
def hooked(tmp_path: Path) -> Iterator[Store]:
    store = _store(tmp_path)
    port = free_port()
    app = FastAPI()

    async def submit(observation: Observation) -> None:
        await store.pipeline.handle(observation)

    app.include_router(build_pos_hook_router(PosHookConfig(token=SecretStr(TOKEN)), KEY, submit))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    store.url = f"http://127.0.0.1:{port}"
    yield store
    server.should_exit = True
    thread.join(10)
    store.outbox.close()


def _types(outbox: Outbox) -> list[str]:
    return [
        p.payload.decode().split('"type":"')[1].split('"')[0] for p in outbox.pending(0, 100, 10**7)
    ]


def test_a_resent_checkout_gets_202_and_is_stored_once(hooked: Store) -> None:
    with httpx.Client(base_url=hooked.url, headers=AUTH) as client:
        first = client.post("/pos/checkout", json=_checkout("R1"))
        again = client.post("/pos/checkout", json=_checkout("R1"))
        other_till = client.post("/pos/checkout", json=_checkout("R1", terminal="T2"))
        service = {"service_type": "bp_check", "note": "120/80", "staff_id": "S7"}
        svc_first = client.post("/pos/service", json=service)
        svc_again = client.post("/pos/service", json=service)
    codes = [r.status_code for r in (first, again, other_till, svc_first, svc_again)]
    assert codes == [202] * 5, "a re-send is answered like the first: it is durable"
    assert _types(hooked.outbox) == ["pos.checkout", "pos.checkout", "pos.service_logged"]
    assert hooked.outbox.stats().duplicates == {"pos.checkout": 1, "pos.service_logged": 1}
    assert hooked.pipeline.counters["duplicates"] == 2


def test_a_resent_member_checkout_prompts_once(hooked: Store) -> None:
    member = {"member": {"kind": "card_uid", "value": "04A1B2C3"}}
    with httpx.Client(base_url=hooked.url, headers=AUTH) as client:
        for _ in range(3):
            assert client.post("/pos/checkout", json=_checkout("R9", **member)).status_code == 202
    assert _types(hooked.outbox) == ["pos.checkout", "prompt.shown"]
    assert hooked.pipeline.counters["prompts"] == 1


def test_a_serial_pos_that_missed_its_ack_resends_and_is_acked_again(tmp_path: Path) -> None:
    store = _store(tmp_path)
    record = frame("CHK|rcpt=R7|term=T3|total=500|item=SKU1*1@500")

    async def scenario() -> None:
        with PosTerminal() as pos:
            assert pos.device_path is not None
            reader = SerialPosReader(SerialPosConfig(port=pos.device_path), KEY)

            async def consume() -> None:
                async for observation in reader.observations():
                    await store.pipeline.handle(observation)

            task = asyncio.create_task(consume())
            await asyncio.to_thread(_wait_up, reader)
            answers = []
            for _ in range(2):  # the POS lost the first ACK (say) and sends the frame again
                pos.send_raw(record)
                answers.append(await asyncio.to_thread(pos.read_answer))
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            assert answers == [ACK, ACK]

    asyncio.run(asyncio.wait_for(scenario(), 20))
    assert _types(store.outbox).count("pos.checkout") == 1
    assert store.outbox.stats().duplicates == {"pos.checkout": 1}


def _wait_up(reader: SerialPosReader, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while reader.health.state != "up":
        if time.monotonic() > deadline:
            raise TimeoutError("serial reader did not open its port")
        time.sleep(0.01)
