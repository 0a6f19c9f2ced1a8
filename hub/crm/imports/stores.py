"""The store a row names, by id or by name, within the caller's stores: a store out of
scope is that row's error, never a refusal of the whole file."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.auth.scope import Scope
from hub.db.models import Store


@dataclass(frozen=True)
class StoreBook:
    scope: Scope
    by_ref: dict[str, str]  # store id or name (case-folded) -> store id

    @classmethod
    def load(cls, session: Session, scope: Scope) -> "StoreBook":
        rows = session.execute(
            select(Store.id, Store.name).where(Store.tenant_id == scope.tenant_id)
        ).all()
        refs = {name.strip().casefold(): store_id for store_id, name in rows}
        refs.update({store_id.casefold(): store_id for store_id, _name in rows})
        return cls(scope, refs)

    def resolve(self, ref: str | None) -> tuple[str | None, str | None]:
        """(store id, None), or (None, the reason the row cannot go there)."""
        if ref is None:
            if self.scope.store_ids is not None:
                return None, "required: your role imports only into its stores"
            return None, None
        store_id = self.by_ref.get(ref.strip().casefold())
        if store_id is None:
            return None, "no such store"
        if self.scope.store_ids is not None and store_id not in self.scope.store_ids:
            return None, "a store outside yours"
        return store_id, None
