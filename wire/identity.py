"""Identifiers of a customer, and the keyed hash that keeps raw numbers off the wire."""

import hashlib
import hmac
import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from wire.limits import HASH_PATTERN, IdentifierValue

_HASH = re.compile(HASH_PATTERN)


class IdentifierKind(StrEnum):
    CARD_UID = "card_uid"  # NFC tag UID, upper-case hex
    MEMBER_NO = "member_no"  # loyalty member number (NDEF text or POS)
    ID_HASH = "id_hash"  # HMAC of an ID / social-security card number
    PHONE_HASH = "phone_hash"  # HMAC of an E.164 phone number


HASHED_KINDS = frozenset({IdentifierKind.ID_HASH, IdentifierKind.PHONE_HASH})


def is_keyed_hash(value: object) -> bool:
    """Whether `value` has the form of a keyed_hash (64 lower-case hex digits)."""
    return isinstance(value, str) and _HASH.fullmatch(value) is not None


class Identifier(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IdentifierKind
    value: IdentifierValue

    @model_validator(mode="after")
    def _hashes_are_hashes(self) -> "Identifier":
        # A raw ID-card or phone number in a hash field would be stored and shown as if it
        # were a hash. The message never quotes the value: it may be that number.
        if self.kind in HASHED_KINDS and not _HASH.fullmatch(self.value):
            raise PydanticCustomError(
                "not_a_hash",
                "{kind} must be 64 lower-case hex digits (an HMAC, never the number itself)",
                {"kind": self.kind.value},
            )
        return self


def keyed_hash(tenant_key: bytes, kind: IdentifierKind, raw: str) -> str:
    """HMAC-SHA256 of a raw identifier, domain-separated by kind; hex, 64 chars."""
    message = f"{kind.value}:{raw.strip()}".encode()
    return hmac.new(tenant_key, message, hashlib.sha256).hexdigest()


def normalise_uid(uid: bytes | str) -> str:
    """Card UIDs travel as upper-case hex without separators."""
    if isinstance(uid, bytes):
        return uid.hex().upper()
    return uid.replace(":", "").replace(" ", "").upper()
