"""The list's page cursor: opaque to callers, the keyset (name key, id) of the last row.

The name key is what PostgreSQL sorts by (`lower(name) COLLATE "C"`), read back from the
row itself, so the cursor never depends on Python and PostgreSQL folding case alike. It
travels as base64url of a two-item JSON array; anything else is a BadCursor (the same
error the 360's purchase and touchpoint pages raise, hub.crm.customer_view), a 422."""

import base64
import binascii
import json

from hub.crm.customer_view import BadCursor

MAX_CURSOR = 600  # base64 of a 200-character name (up to 4 bytes each) and a 64-char id


def encode(name_key: str, customer_id: str) -> str:
    raw = json.dumps([name_key, customer_id], ensure_ascii=False, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[str, str]:
    """The (name key, id) of a cursor `encode` made; BadCursor for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw.decode())
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise BadCursor("not a cursor this list gave") from exc
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, str) and "\x00" not in v for v in value)
    ):
        raise BadCursor("not a cursor this list gave")
    return value[0], value[1]
