"""The keys a customer is found by, made from what each channel gives. Every channel (the
API, imports, leads, WeCom, the gateways) builds its keys here, so one person reached two
ways is one customer. Phones and ID-card numbers become keyed hashes (never stored raw);
e-mail addresses and WeCom ids are hub-only kinds that never travel to a gateway."""

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from hub.crm.contacts import normalise_email, normalise_phone
from hub.crm.identities import Key, Resolution, resolve_batch
from wire.identity import IdentifierKind, keyed_hash, normalise_uid

EMAIL = "email"  # normalised by email-validator, then case-folded
WECOM_ID = "wecom_id"  # WeCom external_userid, as WeCom sends it
HUB_ONLY_KINDS = frozenset({EMAIL, WECOM_ID})  # not in wire.identity: left out of caches


def phone_key(tenant_key: bytes, raw: str) -> Key:
    """A phone as typed (any common format) -> the hash a gateway computes of its E.164."""
    e164 = normalise_phone(raw)
    return (
        IdentifierKind.PHONE_HASH.value,
        keyed_hash(tenant_key, IdentifierKind.PHONE_HASH, e164),
    )


def id_card_key(tenant_key: bytes, number: str) -> Key:
    return (IdentifierKind.ID_HASH.value, keyed_hash(tenant_key, IdentifierKind.ID_HASH, number))


def email_key(raw: str) -> Key:
    return (EMAIL, normalise_email(raw).casefold())


def wecom_key(external_userid: str) -> Key:
    return (WECOM_ID, external_userid.strip())


def card_key(uid: str) -> Key:
    return (IdentifierKind.CARD_UID.value, normalise_uid(uid))


def member_key(number: str) -> Key:
    return (IdentifierKind.MEMBER_NO.value, number.strip())


def find_or_create(
    session: Session,
    tenant_id: str,
    keys: Sequence[Key],
    now: datetime,
    home_store_id: str | None = None,
) -> Resolution:
    """The customer holding the first of `keys` that anyone holds, given the rest it lacks;
    a new provisional customer when nobody holds any (with `home_store_id` as home)."""
    return resolve_batch(session, tenant_id, [(home_store_id, list(keys))], now)[0]
