"""What a merge does to the survivor's own fields: it fills what the survivor lacks from
the merged record (tags and custom values are united, survivor's first), and remembers
what it changed so that an undo restores exactly that."""

from datetime import date
from typing import Any

from hub.db.models import MEMBER, Customer

FILLED = ("name", "phone", "birthday", "home_store_id", "owner_staff_id", "latitude", "longitude")


def absorb(survivor: Customer, merged: Customer) -> dict[str, Any]:
    """Fill the survivor from `merged`; returns the changed fields' old values (JSON-ready)."""
    before: dict[str, Any] = {}
    for name in FILLED:
        mine, theirs = getattr(survivor, name), getattr(merged, name)
        if mine in (None, "") and theirs not in (None, ""):
            before[name] = _json(mine)
            setattr(survivor, name, theirs)
    tags = list(dict.fromkeys([*survivor.tags, *merged.tags]))
    if tags != list(survivor.tags):
        before["tags"] = list(survivor.tags)
        survivor.tags = tags
    custom = {**(merged.custom or {}), **(survivor.custom or {})}
    if custom != (survivor.custom or {}):
        before["custom"] = dict(survivor.custom or {})
        survivor.custom = custom
    if survivor.status != MEMBER and merged.status == MEMBER:
        before["status"] = survivor.status
        survivor.status = MEMBER
    return before


def restore(survivor: Customer, before: dict[str, Any]) -> None:
    """Put back the fields a merge changed, as they were before it."""
    for name, value in before.items():
        if name == "birthday" and value is not None:
            value = date.fromisoformat(value)
        setattr(survivor, name, value)


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
