"""Records as plain JSON for the audit log's before and after."""

from typing import Any

from hub.db.models import Region, Staff, Store

_REGION = ("id", "name", "address", "latitude", "longitude")
_STORE = (*_REGION, "region_id", "city", "time_zone", "opening_hours", "status", "area")
_STAFF = ("id", "code", "name", "role", "home_store_id", "region_id", "skills", "on_shift",
          "status", "phone", "email", "left_at")  # fmt: skip


def snapshot(record: Region | Store | Staff) -> dict[str, Any]:
    fields = (
        _STAFF if isinstance(record, Staff) else _STORE if isinstance(record, Store) else _REGION
    )
    out: dict[str, Any] = {}
    for name in fields:
        value = getattr(record, name)
        out[name] = value.isoformat() if hasattr(value, "isoformat") else value
    if isinstance(record, Staff):
        out["skills"] = list(record.skills)
    return out
