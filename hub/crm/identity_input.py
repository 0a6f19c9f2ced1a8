"""Identifiers as a person or a form types them -> identity keys (hub/crm/identity_keys.py),
each bad one named by its place in the request. ID-card numbers are hashed here, at once:
the raw number goes no further than this function."""

from collections.abc import Sequence
from dataclasses import dataclass

from hub.crm.contacts import ContactError
from hub.crm.identities import Key
from hub.crm.identity_keys import (
    card_key,
    email_key,
    id_card_key,
    member_key,
    phone_key,
    wecom_key,
)
from hub.errors import Unprocessable

# The kinds a caller names an identifier by, and the key each becomes.
TYPED_KINDS = ("id_card_number", "phone", "member_no", "card_uid", "email", "wecom_id")


@dataclass(frozen=True)
class Typed:
    """Identifiers as typed; every list is read strongest first."""

    id_card_number: str | None = None
    phones: Sequence[str] = ()
    member_no: str | None = None
    card_uids: Sequence[str] = ()
    emails: Sequence[str] = ()
    wecom_id: str | None = None


def key_of(tenant_key: bytes, kind: str, value: str) -> Key:
    """One identifier; ContactError or ValueError names what is wrong with it."""
    value = value.strip()
    if not value:
        raise ValueError("empty")
    match kind:
        case "phone":
            return phone_key(tenant_key, value)
        case "email":
            return email_key(value)
        case "card_uid":
            uid = card_key(value)
            if not all(c in "0123456789ABCDEF" for c in uid[1]) or not 8 <= len(uid[1]) <= 20:
                raise ValueError("a card UID is 8 to 20 hexadecimal digits")
            return uid
        case "id_card_number":
            return id_card_key(tenant_key, _id_number(value))
        case "member_no":
            return member_key(value)
        case "wecom_id":
            return wecom_key(value)
    raise ValueError(f"unknown kind {kind!r}")


def keys_of(tenant_key: bytes, typed: Typed) -> list[Key]:
    """The keys, strongest first, without repeats; Unprocessable names every bad one."""
    wanted: list[tuple[list[str], str, str]] = []
    if typed.id_card_number:
        wanted.append((["body", "id_card_number"], "id_card_number", typed.id_card_number))
    wanted += [(["body", "phones", str(i)], "phone", p) for i, p in enumerate(typed.phones)]
    if typed.member_no:
        wanted.append((["body", "member_no"], "member_no", typed.member_no))
    wanted += [
        (["body", "card_uids", str(i)], "card_uid", u) for i, u in enumerate(typed.card_uids)
    ]
    wanted += [(["body", "emails", str(i)], "email", e) for i, e in enumerate(typed.emails)]
    if typed.wecom_id:
        wanted.append((["body", "wecom_id"], "wecom_id", typed.wecom_id))
    keys: list[Key] = []
    problems: list[tuple[list[str], str]] = []
    for where, kind, value in wanted:
        try:
            keys.append(key_of(tenant_key, kind, value))
        except (ContactError, ValueError) as exc:
            problems.append((where, str(exc)))
    if problems:
        raise Unprocessable(*problems)
    return list(dict.fromkeys(keys))


def _id_number(raw: str) -> str:
    """A mainland resident ID number: 18 characters, the last a digit or X (checked by
    its ISO 7064 MOD 11-2 check character), or an older 15-digit one."""
    number = raw.replace(" ", "").upper()
    if len(number) == 15 and number.isdigit():
        return number
    if len(number) != 18 or not number[:17].isdigit():
        raise ValueError("an ID-card number is 18 characters (or 15 digits)")
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    check = "10X98765432"[sum(int(d) * w for d, w in zip(number[:17], weights, strict=True)) % 11]
    if number[17] != check:
        raise ValueError("the ID-card number's check character does not match")
    return number
