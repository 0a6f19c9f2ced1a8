"""Setting the fields regions and stores share: a name, an address and coordinates."""

from typing import Any

from hub.crm.org.areas import PolygonArea, RadiusArea
from hub.crm.org.fields import Coordinates
from hub.crm.org.hours import OpeningHours
from hub.db.models import Region, Store


def apply_place(record: Region | Store, fields: dict[str, Any]) -> None:
    """Set the given fields; `coordinates` (a Coordinates or None) sets or clears both."""
    for name, value in fields.items():
        if name == "coordinates":
            point: Coordinates | None = value
            record.latitude = point.latitude if point else None
            record.longitude = point.longitude if point else None
        elif name == "area":
            area: RadiusArea | PolygonArea | None = value
            setattr(record, name, area.model_dump() if area else None)
        elif name == "opening_hours":
            hours: OpeningHours = value
            setattr(record, name, hours.stored())
        else:
            setattr(record, name, value)
