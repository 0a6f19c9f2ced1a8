"""API shapes of regions, stores and staff. Request bodies are the organisation's own input
models (hub/crm/org/inputs.py), so the OpenAPI document states every check they make."""

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from hub.crm.org.areas import StoreArea, stored_area
from hub.crm.org.fields import Coordinates
from hub.crm.org.hours import OpeningHours
from hub.crm.org.staff import StaffRecord
from hub.db.models import Region, Store


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


def _point(latitude: float | None, longitude: float | None) -> Coordinates | None:
    if latitude is None or longitude is None:
        return None
    return Coordinates(latitude=latitude, longitude=longitude)


class RegionOut(_Out):
    id: str
    name: str
    address: str = Field(description="the regional office")
    coordinates: Coordinates | None

    @classmethod
    def of(cls, r: Region) -> "RegionOut":
        return cls(
            id=r.id, name=r.name, address=r.address, coordinates=_point(r.latitude, r.longitude)
        )


class StoreOut(_Out):
    id: str
    region_id: str
    name: str
    city: str
    address: str
    coordinates: Coordinates | None
    time_zone: str
    opening_hours: OpeningHours
    status: str = Field(description="open or closed")
    area: StoreArea | None = Field(default=None, description="where its customers live")

    @classmethod
    def of(cls, s: Store) -> "StoreOut":
        return cls(
            id=s.id,
            region_id=s.region_id,
            name=s.name,
            city=s.city,
            address=s.address,
            coordinates=_point(s.latitude, s.longitude),
            time_zone=s.time_zone,
            opening_hours=OpeningHours.model_validate(s.opening_hours),
            status=s.status,
            area=stored_area(s.area) if s.area else None,
        )


class StaffOut(_Out):
    id: str
    code: str = Field(description="what tills send as staff_id")
    name: str
    role: str
    home_store_id: str | None
    region_id: str | None
    skills: list[str]
    on_shift: bool
    status: str = Field(description="active or left")
    phone: str | None
    email: str | None
    personal_hidden: bool = Field(
        description="phone and email withheld from this caller's role (null, not absent)"
    )
    created_at: datetime
    left_at: datetime | None

    @classmethod
    def of(cls, r: StaffRecord) -> "StaffOut":
        s = r.staff
        return cls(
            id=s.id,
            code=s.code,
            name=s.name,
            role=s.role,
            home_store_id=s.home_store_id,
            region_id=s.region_id,
            skills=list(s.skills),
            on_shift=s.on_shift,
            status=s.status,
            phone=r.phone,
            email=r.email,
            personal_hidden=r.personal_hidden,
            created_at=s.created_at,
            left_at=s.left_at,
        )


_NEXT = "Pass as `after` for the next page; null: no more"


class RegionPage(_Out):
    regions: list[RegionOut]
    next: str | None = Field(description=_NEXT)


class StorePage(_Out):
    stores: list[StoreOut]
    next: str | None = Field(description=_NEXT)


class StaffPage(_Out):
    staff: list[StaffOut]
    next: str | None = Field(description=_NEXT)
