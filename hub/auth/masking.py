"""How personal data is shown outside the CRM core, and to whom: names, phones,
identifiers, health tags and what was bought."""

from typing import Literal, NamedTuple

from hub.auth.scope import Role
from hub.errors import Forbidden
from wire.identity import IdentifierKind

# Two-character Chinese family names; everything else takes one character.
COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐"})


def mask_name(name: str) -> str:
    """'Wang Fang' -> 'Wang *', '王芳' -> '王*', '欧阳娜娜' -> '欧阳*', '' -> 'Guest'."""
    name = name.strip()
    if not name:
        return "Guest"
    if " " in name:
        return f"{name.split()[0]} *"
    family = name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]
    return f"{family}*"


def mask_phone(phone: str | None) -> str | None:
    """'+8613812345678' -> '+86138****5678'."""
    if not phone:
        return None
    if len(phone) <= 8:
        return "*" * len(phone)
    return f"{phone[:-8]}****{phone[-4:]}"


# A card UID or member number shows at most this share of its characters, and never more
# than MAX_VISIBLE: the tail, which is what a clerk reads back ("ends in 5").
VISIBLE_SHARE = 4  # one character in four
MAX_VISIBLE = 4


def mask_identifier(kind: str, value: str) -> str:
    """Enough to recognise, not enough to copy. Hashes keep 8 of their 64 hex digits; other
    identifiers keep their last quarter (at most 4 characters), every other character a
    '*': 'M1005' -> '****5', '01010501B00AC30B' -> '************C30B', 'M12' -> '***'."""
    if kind in (IdentifierKind.ID_HASH, IdentifierKind.PHONE_HASH):
        return f"{value[:8]}…"
    keep = min(MAX_VISIBLE, len(value) // VISIBLE_SHARE)
    hidden = len(value) - keep
    return "*" * hidden + value[hidden:]


# What each role is shown of a customer (docs/security.md "What each role sees" holds the
# same table and why; tests/hub/test_masking.py checks that the two agree).
class Shown(NamedTuple):
    name: Literal["full", "family name"]
    phone: Literal["full", "masked"]
    identifiers: Literal["masked"]  # card UIDs, member numbers: the tail; hashes: 8 digits
    health_tags: bool  # tags that say something about health (hub.crm.tags)
    items: bool  # what was bought: drug names say as much as health tags


SHOWN: dict[Role, Shown] = {
    Role.ADMIN: Shown("full", "masked", "masked", health_tags=False, items=False),
    Role.REGIONAL_MANAGER: Shown("family name", "masked", "masked", False, False),
    Role.STORE_MANAGER: Shown("full", "full", "masked", health_tags=True, items=True),
    Role.STAFF: Shown("full", "full", "masked", health_tags=True, items=True),
    # An API key with `customers:read` (a sync, a report): the least that identifies.
    Role.INTEGRATION: Shown("family name", "masked", "masked", False, False),
}
# Role.FIELD_ENGINEER is shown no customer at all (403 on every customer route).


def shown_to(role: Role) -> Shown:
    """What `role` sees; Forbidden for a role that sees no customer data."""
    try:
        return SHOWN[role]
    except KeyError:
        raise Forbidden(f"the {role.value} role sees no customer data") from None
