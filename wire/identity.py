"""Identifiers of a customer, and the keyed hash that keeps raw numbers off the wire."""

import hashlib
import hmac
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class IdentifierKind(StrEnum):
    CARD_UID = "card_uid"  # NFC tag UID, upper-case hex
    MEMBER_NO = "member_no"  # loyalty member number (NDEF text or POS)
    ID_HASH = "id_hash"  # HMAC of an ID / social-security card number
    PHONE_HASH = "phone_hash"  # HMAC of an E.164 phone number


class Identifier(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=128)


def keyed_hash(tenant_key: bytes, kind: IdentifierKind, raw: str) -> str:
    """HMAC-SHA256 of a raw identifier, domain-separated by kind; hex, 64 chars."""
    message = f"{kind.value}:{raw.strip()}".encode()
    return hmac.new(tenant_key, message, hashlib.sha256).hexdigest()


def normalise_uid(uid: bytes | str) -> str:
    """Card UIDs travel as upper-case hex without separators."""
    if isinstance(uid, bytes):
        return uid.hex().upper()
    return uid.replace(":", "").replace(" ", "").upper()
