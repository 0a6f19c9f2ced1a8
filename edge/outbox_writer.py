"""Group commit for the outbox: concurrent appends share one transaction and one fsync.

Each caller still waits until its own event is durable. While one commit is in flight,
new appends queue up and go together in the next one, so throughput grows with the number
of concurrent producers (readers, POS hooks) instead of being capped at one fsync per event.
A dedupe key (a POS retransmission) travels with its event into the same transaction.
"""

import asyncio
from datetime import datetime

from edge.errors import OutboxFull
from edge.outbox import Appended, Outbox
from edge.outbox_keys import KeyedAppend, KeyedItem
from wire.events import Event, EventBody

_Pending = tuple[EventBody, datetime, KeyedAppend | None, "asyncio.Future[Appended]"]


class GroupCommitWriter:
    def __init__(self, outbox: Outbox, max_batch: int = 500) -> None:
        self.outbox = outbox
        self.max_batch = max_batch
        self._pending: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self.commits = 0

    async def append(self, body: EventBody, occurred_at: datetime) -> Event:
        """Durable when it returns; raises OutboxFull for this event only."""
        return (await self.append_keyed(body, occurred_at)).event

    async def append_keyed(
        self, body: EventBody, occurred_at: datetime, keyed: KeyedAppend | None = None
    ) -> Appended:
        """As `append`; with a live dedupe key, the event stored first (`duplicate`)."""
        future: asyncio.Future[Appended] = asyncio.get_running_loop().create_future()
        self._pending.append((body, occurred_at, keyed, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        while self._pending:
            batch, self._pending = (
                self._pending[: self.max_batch],
                self._pending[self.max_batch :],
            )
            items: list[KeyedItem] = [(body, at, keyed) for body, at, keyed, _ in batch]
            alone = len(batch) == 1
            try:
                results = await asyncio.to_thread(self.outbox.append_batch, items, trial=not alone)
            except OutboxFull as exc:
                if alone:
                    if not batch[0][3].done():
                        batch[0][3].set_exception(exc)
                else:  # keep what fits; refuse (and count) only what does not
                    await self._one_by_one(batch)
                continue
            except Exception as exc:  # e.g. disk I/O: every waiter must hear of it
                for *_, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            self.commits += 1
            for (*_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)

    async def _one_by_one(self, batch: list[_Pending]) -> None:
        for body, at, keyed, future in batch:
            try:
                (result,) = await asyncio.to_thread(self.outbox.append_batch, [(body, at, keyed)])
            except Exception as exc:
                if not future.done():
                    future.set_exception(exc)
            else:
                self.commits += 1
                if not future.done():
                    future.set_result(result)
