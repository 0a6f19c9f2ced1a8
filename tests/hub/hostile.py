"""Hypothesis strategies for the hub's hostile-payload fuzzing: good batches the hub must
commit, hostile payloads it must dead-letter whole with a known reason, and batches with
one damaged event that the hub must dead-letter alone while it commits the others."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import strategies as st

from tests.hub.batches import batch, payload
from tests.wire.strategies import bodies, instants
from wire.events import PromptActed
from wire.messages import MAX_BATCH_EVENTS, EventBatch

GW, OTHER, REVOKED, UNKNOWN = "gw-demo-1", "gw-demo-2", "gw-fuzz-revoked", "gw-fuzz-unknown"
ABSURD = [  # gateway clocks after a power cut without an RTC, or worse: still committed
    datetime(1970, 1, 1, tzinfo=UTC),
    datetime(2100, 1, 1, tzinfo=UTC),
    datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 0, tzinfo=UTC),
]
NEVER_UTF8 = [0xC0, 0xC1, *range(0xF5, 0x100)]
Doc = dict[str, Any]


@dataclass(frozen=True)
class Good:
    """A batch the hub must commit; `dead` are seqs the CRM projection must refuse alone
    (they are stored and acked as committed, then dead-lettered as kind "projection")."""

    batch: EventBatch
    payload: bytes
    dead: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Hostile:
    topic_gateway: str
    payload: bytes
    reason: str | None  # None: any non-empty reason (random bytes)
    label: str


@dataclass(frozen=True)
class Partial:
    """A batch of GW with one damaged event (`damaged`, at seq `refused_seq` before the
    damage): the others are committed, that one is dead-lettered alone (kind "event") and
    acked as such. `refusal` "seqless": the damage took its seq, so it is refused without
    one (ack `refused`, letter without seq); "conflict": `damaged` is a second event under
    the seq of the first, which is stored, and the seq is acked dead-lettered."""

    batch: EventBatch  # as it was before the damage
    payload: bytes
    refused_seq: int
    damaged: Doc
    reason: str
    label: str
    refusal: str = "event"  # or "seqless", "conflict"

    @property
    def good_seqs(self) -> set[int]:
        """The seqs stored."""
        seqs = {e.seq for e in self.batch.events}
        return seqs if self.refusal == "conflict" else seqs - {self.refused_seq}

    @property
    def letter(self) -> tuple[str, int | None]:
        """The kind and seq of its dead letter."""
        kind = "conflict" if self.refusal == "conflict" else "event"
        return kind, None if self.refusal == "seqless" else self.refused_seq


@st.composite
def good_batches(draw: st.DrawFn) -> Good:
    chosen = draw(st.lists(bodies, min_size=1, max_size=4))
    at = draw(st.sampled_from(ABSURD) | instants)
    dead: frozenset[int] = frozenset()
    if draw(st.booleans()):  # a CRM-refused event at the end: dead-lettered alone
        chosen.append(PromptActed(prompt_id=uuid.uuid4(), action="done", customer_id="cus-nobody"))
        dead = frozenset({len(chosen)})
    b = batch(GW, chosen, at=at)
    if draw(st.booleans()):  # the same seq twice inside one batch
        b = b.model_copy(update={"events": [*b.events, b.events[0]]})
    return Good(b, payload(b), dead)


def _mutated(reason: str, label: str, mutate: Callable[[Doc, int], Doc | bytes]) -> Any:
    """A valid batch of GW, damaged by `mutate(doc, n)` (n: a drawn int to vary the damage)."""

    def build(bs: list[Any], n: int) -> Hostile:
        out = mutate(json.loads(payload(batch(GW, bs))), n)
        return Hostile(
            GW, out if isinstance(out, bytes) else json.dumps(out).encode(), reason, label
        )

    return st.builds(build, st.lists(bodies, min_size=1, max_size=3), st.integers(0, 10**6))


def _event_damaged(
    reason: str, label: str, at: int, mutate: Callable[[Doc, int], Doc], refusal: str = "event"
) -> st.SearchStrategy[Partial]:
    """A valid batch of GW whose event at index `at` is damaged by `mutate(doc, n)`."""

    def build(bs: list[Any], n: int) -> Partial:
        good = batch(GW, bs)
        doc = mutate(json.loads(payload(good)), n)
        damaged = doc["events"][at]
        raw = json.dumps(doc).encode()
        return Partial(good, raw, good.events[at].seq, damaged, reason, label, refusal)

    return st.builds(build, st.lists(bodies, min_size=1, max_size=3), st.integers(0, 10**6))


def _put(*path: Any, values: Callable[[int], Any]) -> Callable[[Doc, int], Doc]:
    def mutate(doc: Doc, n: int) -> Doc:
        node = doc
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = values(n)
        return doc

    return mutate


def _drop(keys: list[str], in_event: bool) -> Callable[[Doc, int], Doc]:
    def mutate(doc: Doc, n: int) -> Doc:
        del (doc["events"][0] if in_event else doc)[keys[n % len(keys)]]
        return doc

    return mutate


def _seq_twice(doc: Doc, n: int) -> Doc:
    """A second event under the last one's seq, with other content (a fresh event id)."""
    doc["events"].append({**doc["events"][-1], "event_id": str(uuid.UUID(int=n + 1, version=4))})
    return doc


def _huge(doc: Doc, n: int) -> Doc:
    event = doc["events"][0]
    doc["events"] = [{**event, "seq": s} for s in range(1, MAX_BATCH_EVENTS + 2 + n % 50)]
    return doc


def _bad_utf8(doc: Doc, n: int) -> bytes:
    raw = bytearray(json.dumps(doc, ensure_ascii=False).encode())
    raw[n % len(raw) : n % len(raw)] = bytes([NEVER_UTF8[n % len(NEVER_UTF8)]])
    return bytes(raw)


def _first_text(doc: Doc) -> tuple[Doc, str]:
    body: Doc = doc["events"][-1]["body"]  # the last event: Partial kinds damage it
    return body, next(k for k, v in body.items() if isinstance(v, str))


def _nul(doc: Doc, n: int) -> Doc:
    body, key = _first_text(doc)
    body[key] = body[key][: n % 3] + "\x00" + body[key][n % 3 :]
    return doc


def _lone_surrogate(doc: Doc, n: int) -> Doc:
    body, key = _first_text(doc)  # json.dumps writes it as the escape "\udXXX"
    body[key] = body[key][: n % 3] + chr(0xD800 + n % 0x800) + body[key][n % 3 :]
    return doc


def _huge_text(doc: Doc, n: int) -> Doc:
    body, key = _first_text(doc)
    body[key] = "字" * (2001 + n % 999)  # past every text bound of the contract
    return doc


def _raw_id_as_hash(doc: Doc, n: int) -> Doc:
    """A card read, or a checkout's member, carrying the ID number itself as its hash."""
    event = doc["events"][-1]
    raw = f"31010619900101{n % 10_000:04d}"
    if n % 2:
        event.update(type="idcard.read", body={"card_hash": raw, "profile": "p", "reader": "r"})
    else:
        lines = [{"sku": "A", "name": "", "qty": 1, "unit_price": 5}]
        event.update(type="pos.checkout", body={"receipt_no": "R", "items": lines, "total": 5})
        event["body"]["member"] = {"kind": "id_hash", "value": raw}
    return doc


def _trusting(gateway: str, claimed: str, reason: str) -> st.SearchStrategy[Hostile]:
    return st.lists(bodies, min_size=1, max_size=3).map(
        lambda bs: Hostile(gateway, payload(batch(claimed, bs)), reason, reason)
    )


HOSTILE_KINDS: dict[str, st.SearchStrategy[Hostile]] = {
    "schema-version": _mutated(
        "unsupported schema_version",
        "schema-version",
        _put("schema_version", values=lambda n: [2, 0, "1", None, True, 1.0, [1]][n % 7]),
    ),
    "missing-field": _mutated(
        "invalid message",
        "missing-field",
        _drop(["gateway_id", "epoch", "sent_at", "events"], in_event=False),
    ),
    "huge-batch": _mutated("invalid message", "huge-batch", _huge),
    "bad-utf8": _mutated("invalid utf-8", "bad-utf8", _bad_utf8),
    "not-object": _mutated(
        "not a json object",
        "not-object",
        lambda d, n: json.dumps([[d], d["events"], "x", n, None][n % 5]).encode(),
    ),
    "truncated": _mutated(
        "invalid json", "truncated", lambda d, n: json.dumps(d).encode()[: n % 300]
    ),
    "surrogate-key": _mutated(  # named in the error's detail, which goes to the log and DB
        "invalid message",
        "surrogate-key",
        _put(chr(0xDC00), values=lambda n: n),
    ),
    "unknown-gateway": _trusting(UNKNOWN, UNKNOWN, "unknown gateway"),
    "revoked-gateway": _trusting(REVOKED, REVOKED, "revoked gateway"),
    "gateway-mismatch": _trusting(GW, OTHER, "gateway mismatch"),
    "random-bytes": st.binary(max_size=64).map(
        lambda raw: Hostile(GW, b"\xff" + raw, None, "random-bytes")
    ),
}
PARTIAL_KINDS: dict[str, st.SearchStrategy[Partial]] = {
    "missing-event-field": _event_damaged(
        "invalid message",
        "missing-event-field",
        0,
        _drop(["event_id", "gateway_id", "occurred_at", "body", "type"], in_event=True),
    ),
    "foreign-event": _event_damaged(
        "invalid message",
        "foreign-event",
        0,
        _put("events", 0, "gateway_id", values=lambda n: OTHER),
    ),
    "unknown-type": _event_damaged(  # what a newer gateway would send this hub
        "invalid message",
        "unknown-type",
        0,
        _put("events", 0, "type", values=lambda n: ["coupon.redeemed", "", 7, None][n % 4]),
    ),
    "event-schema-version": _event_damaged(
        "invalid message",
        "event-schema-version",
        0,
        _put("events", 0, "schema_version", values=lambda n: [2, 0, "1", True][n % 4]),
    ),
    "huge-string": _event_damaged("invalid message", "huge-string", -1, _huge_text),
    "nul": _event_damaged("invalid text", "nul", -1, _nul),
    "lone-surrogate": _event_damaged("invalid message", "lone-surrogate", -1, _lone_surrogate),
    "raw-id-as-hash": _event_damaged("invalid message", "raw-id-as-hash", -1, _raw_id_as_hash),
    # nothing to claim it by: refused alone, without a seq, the others committed
    "missing-event-seq": _event_damaged(
        "invalid message", "missing-event-seq", 0, _drop(["seq"], in_event=True), "seqless"
    ),
    "seq-past-bigint": _event_damaged(
        "invalid message",
        "seq-past-bigint",
        0,
        _put("events", 0, "seq", values=lambda n: 2**63 + n),
        "seqless",
    ),
    "seq-below-one": _event_damaged(
        "invalid message",
        "seq-below-one",
        0,
        _put("events", 0, "seq", values=lambda n: -n),
        "seqless",
    ),
    "seq-twice": _event_damaged("conflict", "seq-twice", -1, _seq_twice, "conflict"),
}
hostiles: st.SearchStrategy[Hostile] = st.one_of(*HOSTILE_KINDS.values())
partials: st.SearchStrategy[Partial] = st.one_of(*PARTIAL_KINDS.values())
