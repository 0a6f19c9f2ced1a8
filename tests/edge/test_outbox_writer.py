import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from edge.errors import OutboxFull
from edge.outbox import Outbox
from edge.outbox_writer import GroupCommitWriter
from wire.events import CardTapped, ReaderStatus


def _tap(n: int) -> CardTapped:
    return CardTapped(uid=f"{n:08X}", technology="T", reader="r")


def test_concurrent_appends_share_commits_and_all_are_durable(tmp_path: Path) -> None:
    async def scenario() -> None:
        outbox = Outbox(tmp_path / "o.db", "gw-1")
        outbox.open()
        writer = GroupCommitWriter(outbox)
        now = datetime.now(UTC)
        events = await asyncio.gather(*(writer.append(_tap(i), now) for i in range(300)))
        assert sorted(e.seq for e in events) == list(range(1, 301))
        assert [e.body.uid for e in events] == [f"{i:08X}" for i in range(300)]  # type: ignore[union-attr]
        assert writer.commits < 300, "appends waiting together were committed together"
        outbox.close()
        reopened = Outbox(tmp_path / "o.db", "gw-1")
        reopened.open()
        assert reopened.stats().depth == 300

    asyncio.run(scenario())


def test_a_full_outbox_refuses_only_what_does_not_fit(tmp_path: Path) -> None:
    async def scenario() -> None:
        probe = Outbox(tmp_path / "probe.db", "gw-1")
        probe.open()
        size = len(probe.append(_tap(0)).model_dump_json())
        outbox = Outbox(tmp_path / "o.db", "gw-1", max_bytes=size * 5 + size // 2)
        outbox.open()
        writer = GroupCommitWriter(outbox)
        now = datetime.now(UTC)
        results = await asyncio.gather(
            *(writer.append(_tap(i), now) for i in range(8)), return_exceptions=True
        )
        stored = [r for r in results if not isinstance(r, BaseException)]
        refused = [r for r in results if isinstance(r, OutboxFull)]
        assert len(stored) == 5 and len(refused) == 3
        assert outbox.stats().depth == 5
        assert outbox.stats().refused == {"card.tapped": 3}, "each refusal counted once"
        with pytest.raises(OutboxFull):
            await writer.append(ReaderStatus(reader="r", kind="nfc", state="up"), now)
        with pytest.raises(OutboxFull):
            await writer.append(_tap(99), now)  # alone: tried once, counted once
        assert outbox.stats().refused == {"card.tapped": 4, "reader.status": 1}

    asyncio.run(scenario())
