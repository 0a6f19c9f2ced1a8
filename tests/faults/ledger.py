"""What the hub holds for one gateway, read straight from its database.

Queries go through a private engine with `pool_pre_ping`, and a failed query (the
database restarting) reads as "not yet", so pollers ride through a restart.
"""

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy.exc import OperationalError

from hub.db.models import DeadLetter, Purchase, RawEvent


@dataclass(frozen=True)
class Holdings:
    checkout_receipts: Counter[str]  # receipt_no of every pos.checkout event
    purchase_receipts: Counter[str]  # receipt_no of every purchase row
    prompts_shown: int
    dead_letters: int


class HubLedger:
    def __init__(self, database_url: str, gateway_id: str) -> None:
        self.gateway_id = gateway_id
        self._engine: Engine = create_engine(database_url, pool_pre_ping=True, pool_size=2)

    def checkout_count(self) -> int | None:
        """pos.checkout events held for the gateway, or None while the database is away."""
        query = (
            select(func.count())
            .select_from(RawEvent)
            .where(RawEvent.gateway_id == self.gateway_id, RawEvent.type == "pos.checkout")
        )
        try:
            with self._engine.connect() as conn:
                return int(conn.execute(query).scalar_one())
        except OperationalError:
            return None

    def holdings(self) -> Holdings:
        gateway = self.gateway_id
        with self._engine.connect() as conn:
            bodies = conn.execute(
                select(RawEvent.body).where(
                    RawEvent.gateway_id == gateway, RawEvent.type == "pos.checkout"
                )
            ).scalars()
            checkouts = Counter(str(body["receipt_no"]) for body in bodies)
            purchases = Counter(
                conn.execute(select(Purchase.receipt_no).where(Purchase.gateway_id == gateway))
                .scalars()
                .all()
            )
            prompts = conn.execute(
                select(func.count())
                .select_from(RawEvent)
                .where(RawEvent.gateway_id == gateway, RawEvent.type == "prompt.shown")
            ).scalar_one()
            dead = conn.execute(
                select(func.count()).select_from(DeadLetter).where(DeadLetter.gateway_id == gateway)
            ).scalar_one()
        return Holdings(checkouts, purchases, int(prompts), int(dead))

    def close(self) -> None:
        self._engine.dispose()
