"""A transfer plan: which record goes to which successor, decided the same way for the
preview and for the transfer itself, so what was previewed is what is done (the plan's
digest says whether anything changed in between).

Rules: `round_robin` deals the leaver's customers to the successors in turn (in id order),
`list` takes the caller's customer -> successor map, which must name every customer the
leaver owns. Every other owned row tied to a moved customer goes to that customer's
successor; the rest are dealt in turn."""

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import cycle
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, model_validator
from sqlalchemy import text
from sqlalchemy.orm import Session

from hub.crm.org.fields import PRINTABLE
from hub.crm.transfer.owned import OWNED, OwnedKind

TransferRule = Literal["round_robin", "list"]
RecordRef = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]


class TransferRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: TransferRule = "round_robin"
    successors: list[RecordRef] = Field(
        default_factory=list,
        max_length=50,
        description="staff ids who take the book (round_robin), or the rest (list)",
    )
    customers: dict[RecordRef, RecordRef] = Field(
        default_factory=dict, description="list rule: customer id -> successor staff id"
    )
    dry_run: StrictBool = Field(default=False, description="only say what would move")
    plan_digest: str | None = Field(
        default=None, description="the preview's digest: 409 if the plan changed since"
    )

    @model_validator(mode="after")
    def _rule_has_what_it_needs(self) -> "TransferRequest":
        if self.rule == "round_robin" and not self.successors:
            raise ValueError("round_robin needs at least one successor")
        if self.rule == "list" and not self.customers:
            raise ValueError("the list rule needs customers: {customer id: successor}")
        return self

    def everyone(self) -> list[str]:
        """Every successor named, in the order given (the list's first, then the rest)."""
        named = list(dict.fromkeys([*self.successors, *self.customers.values()]))
        return named


@dataclass(frozen=True)
class Move:
    kind: str
    record_id: str
    to: str


@dataclass
class Plan:
    moves: list[Move] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # list rule: customers not named
    unknown: list[str] = field(default_factory=list)  # named customers the leaver lacks

    def counts(self) -> dict[str, dict[str, int]]:
        """successor -> kind -> how many."""
        found: dict[str, Counter[str]] = {}
        for move in self.moves:
            found.setdefault(move.to, Counter())[move.kind] += 1
        return {to: dict(kinds) for to, kinds in sorted(found.items())}

    def digest(self) -> str:
        body = json.dumps([(m.kind, m.record_id, m.to) for m in self.moves])
        return hashlib.sha256(body.encode()).hexdigest()


def _owned_rows(
    session: Session, kind: OwnedKind, tenant_id: str, leaver: str, lock: bool
) -> list[tuple[str, str | None]]:
    """(record id, its customer) of what the leaver owns of this kind, in id order."""
    customer = f"CAST({kind.customer} AS text)" if kind.customer else "NULL"
    sql = (
        f"SELECT CAST(id AS text), {customer} FROM {kind.table} "
        f"WHERE tenant_id = :tenant_id AND {kind.owner} = :leaver AND ({kind.moves}) "
        f"ORDER BY id{' FOR UPDATE' if lock else ''}"
    )
    params = {"tenant_id": tenant_id, "leaver": leaver}
    return [(str(r), c) for r, c in session.execute(text(sql), params)]


def make_plan(
    session: Session,
    tenant_id: str,
    leaver: str,
    request: TransferRequest,
    lock: bool = False,
    owned: Sequence[OwnedKind] = OWNED,
) -> Plan:
    plan = Plan()
    turn = cycle(request.everyone())
    of_customer: dict[str, str] = {}
    customers = [k for k in owned if k.customer == "id"]
    others = [k for k in owned if k.customer != "id"]
    for kind in customers:  # first: the rest follow their customer's successor
        rows = _owned_rows(session, kind, tenant_id, leaver, lock)
        ids = [r for r, _c in rows]
        if request.rule == "list":
            plan.missing += [c for c in ids if c not in request.customers]
            plan.unknown += sorted(set(request.customers) - set(ids))
        for record_id in ids:
            to = request.customers.get(record_id) if request.rule == "list" else None
            of_customer[record_id] = to or next(turn)
            plan.moves.append(Move(kind.kind, record_id, of_customer[record_id]))
    for kind in others:
        for record_id, customer_id in _owned_rows(session, kind, tenant_id, leaver, lock):
            to = of_customer.get(customer_id or "") or next(turn)
            plan.moves.append(Move(kind.kind, record_id, to))
    return plan
