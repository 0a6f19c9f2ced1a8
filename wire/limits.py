"""The limits of the contract as reusable constrained types.

Every limit the hub holds an event to lives here, so the edge, which builds its events from
these models, refuses what the hub would refuse: an event a gateway accepts is one the hub
can commit. The checks are pydantic constraints run in Rust (a pattern, a length, a range),
so the hub's fast decode path pays no Python call per field.
"""

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, Strict, StringConstraints, WithJsonSchema

# PostgreSQL text and JSONB cannot hold U+0000: no string of the contract may carry it.
NUL_FREE = r"^[^\x00]*$"
HASH_PATTERN = r"^[0-9a-f]{64}$"  # hex HMAC-SHA256 (wire.identity.keyed_hash)
MIN_MONEY, MAX_MONEY = -10_000_000_000, 10_000_000_000
MAX_QTY = 100_000
MAX_SEQ = 2**63 - 1  # a signed 64-bit column holds it at the hub
SHORT_TEXT_CHARS = 200
NOTE_CHARS = 2000
DETAIL_CHARS = 500
IDENTIFIER_CHARS = 128


def text(max_length: int, *, min_length: int = 0) -> StringConstraints:
    """A string of at most `max_length` characters without NUL (use as Annotated metadata)."""
    return StringConstraints(min_length=min_length or None, max_length=max_length, pattern=NUL_FREE)


def omit_none(dumped: Any, *names: str) -> Any:
    """A dump without the named fields that are None: fields added to the contract later,
    so a peer that does not know them yet (extra="forbid") reads the message as before."""
    if isinstance(dumped, dict):
        for name in names:
            if dumped.get(name, 0) is None:
                del dumped[name]
    return dumped


def fitted(value: str, max_length: int = DETAIL_CHARS) -> str:
    """Text a side composes itself (an error message in a reader status) as the contract can
    carry it: a NUL written as the two characters `\\0`, cut to `max_length`."""
    return value.replace("\x00", "\\0")[:max_length]


ShortText = Annotated[str, text(SHORT_TEXT_CHARS)]
RequiredText = Annotated[str, text(SHORT_TEXT_CHARS, min_length=1)]
NoteText = Annotated[str, text(NOTE_CHARS)]
DetailText = Annotated[str, text(DETAIL_CHARS)]
IdentifierValue = Annotated[str, text(IDENTIFIER_CHARS, min_length=1)]
KeyedHash = Annotated[str, StringConstraints(pattern=HASH_PATTERN)]
Money = Annotated[int, Field(ge=MIN_MONEY, le=MAX_MONEY, description="minor units")]
Quantity = Annotated[int, Field(ge=1, le=MAX_QTY)]
Seq = Annotated[int, Field(ge=1, le=MAX_SEQ)]


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # e.g. 9999-12-31T23:59-01:00 is past year 9999 in UTC
        raise ValueError("datetime out of range in UTC") from exc


UtcDatetime = Annotated[AwareDatetime, AfterValidator(_to_utc)]

# Literal[1] accepts true and 1.0 (they compare equal); the contract means the integer. A
# strict int checked in Rust, published as the constant (no Python call per event).
SchemaVersion = Annotated[
    int, Strict(), Field(ge=1, le=1), WithJsonSchema({"const": 1, "type": "integer"})
]
