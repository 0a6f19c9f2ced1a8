"""The spine end to end: NFC emulator -> gateway -> real Mosquitto -> hub (SQLite and
PostgreSQL) -> ack and cache delta back; the prompt is read off the store page's stream."""

import asyncio
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from tests.e2e.harness import running_system
from tests.support.mosquitto import MosquittoBroker

ROOT = Path(__file__).resolve().parents[2]


def test_tap_prompts_and_checkout_reaches_the_customer_360(
    db_url: str, mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with running_system(db_url, mosquitto.port, tmp_path) as system:
            steps = system.scenario
            await steps.cache_synced()
            prompt = await steps.tap()
            assert prompt["customer_id"] == "cus-demo-01"
            assert prompt["display_name"] == "王*", "the hub masks names before they leave it"
            assert 1 <= len(prompt["last_purchases"]) <= 3
            assert "01010501B00AC30B" not in str(prompt), "raw card UIDs never reach the page"

            receipt = await steps.checkout()
            await steps.outbox_drained()
            committed = system.hub_events()
            next_seq = system.gateway.outbox.stats().next_seq
            assert sorted(seq for _, seq in committed) == list(range(1, next_seq))
            assert len(set(committed)) == len(committed), "exactly once"

            # The hub's delta carries the new purchase back to the store's cache.
            async def cached_receipt() -> bool:
                from wire.identity import Identifier, IdentifierKind

                card = Identifier(kind=IdentifierKind.CARD_UID, value="01010501B00AC30B")
                customer = system.gateway.cache.lookup(card)
                return customer is not None and customer.last_purchases[0].receipt_no == receipt

            await steps_until(cached_receipt)
            again = await steps.tap()
            assert again["last_purchases"][0]["receipt_no"] == receipt

            async with httpx.AsyncClient() as client:
                gateways = (
                    await client.get(f"{steps.hub_api}/stores/store-sh-xuhui/gateways")
                ).json()
            mine = next(g for g in gateways if g["id"] == "gw-demo-1")
            assert mine["online"] is True

    asyncio.run(scenario())


async def steps_until(check: object, timeout: float = 20.0) -> None:
    from storepulse.demo.scenario import until

    await until("condition", check, timeout)  # type: ignore[arg-type]


def test_clerk_marks_prompt_done_and_the_hub_records_it(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    async def scenario() -> None:
        url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        async with running_system(url, mosquitto.port, tmp_path) as system:
            await system.scenario.cache_synced()
            prompt = await system.scenario.tap()
            async with httpx.AsyncClient() as client:
                response = await client.post(
                    f"{system.scenario.page_url}/prompts/{prompt['prompt_id']}/acted",
                    json={"action": "done", "staff_id": "S07"},
                )
            assert response.status_code == 202
            await system.scenario.outbox_drained()
            types = Counter(t for t in _event_types(system))
            assert types["prompt.acted"] == 1
            assert types["card.tapped"] == 1

    asyncio.run(scenario())


def _event_types(system: object) -> list[str]:
    from sqlalchemy import select

    from hub.db.models import RawEvent

    with system.hub.sessions() as session:  # type: ignore[attr-defined]
        return list(session.scalars(select(RawEvent.type)))


def test_a_wiped_outbox_starts_a_new_epoch_and_nothing_collides(
    mosquitto: MosquittoBroker, tmp_path: Path
) -> None:
    """DESIGN §2: the hub keys on (gateway, epoch, seq), so seq 1 of a new file is new."""

    async def scenario() -> None:
        url = f"sqlite:///{tmp_path / 'hub.sqlite3'}"
        async with running_system(url, mosquitto.port, tmp_path) as system:
            await system.scenario.cache_synced()
            await system.scenario.tap()
            await system.scenario.outbox_drained()
            first_epoch = system.gateway.outbox.epoch
            before = system.hub_events()

            await system.restart_gateway(wipe_outbox=True)
            assert system.gateway.outbox.epoch != first_epoch

            await system.scenario.tap()
            await system.scenario.outbox_drained()
            after = system.hub_events()
            new = [key for key in after if key not in before]
            assert before and new
            assert {epoch for epoch, _ in new} == {str(system.gateway.outbox.epoch)}
            assert 1 in {seq for _, seq in new}, "the new file restarted at seq 1"
            assert set(before) <= set(after), "the old epoch's events are all still there"

    asyncio.run(scenario())


def test_demo_check_passes_on_embedded_defaults(tmp_path: Path) -> None:
    """`storepulse demo --check`: amqtt in-process broker, hub on SQLite, emulated store."""
    result = subprocess.run(
        [sys.executable, "-m", "storepulse.cli", "demo", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "check    passed" in result.stdout
    assert "prompt   会员卡: 王*" in result.stdout  # zh-CN, the default locale
    # the demo till's products are the seed's Chinese ones, intact through serial, MQTT, hub
    assert "阿莫西林胶囊 0.25g*24 x2, 维生素C片 100mg*100 x1" in result.stdout
