"""What callers send to create or change regions, stores and staff (the API's request
bodies, the CLI's options, the seed's data). A change names only the fields it changes;
a field that may be cleared takes null, one that may not refuses it."""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, model_validator
from pydantic.json_schema import SkipJsonSchema

from hub.crm.org.areas import StoreArea
from hub.crm.org.fields import (
    Address,
    City,
    Coordinates,
    Email,
    Name,
    Phone,
    RecordId,
    Skills,
    StaffCode,
    StaffRole,
    TimeZoneName,
)
from hub.crm.org.hours import OpeningHours

StoreStatus = Literal["open", "closed"]


def _no_null_default(schema: dict[str, Any]) -> None:
    # A change's fields default to "not given", which is no value a client should send.
    for prop in schema.get("properties", {}).values():
        if prop.get("default", ...) is None:
            del prop["default"]


class _Input(BaseModel):
    # Python's regex engine: the e-mail pattern needs a look-ahead (fields.Email).
    model_config = ConfigDict(extra="forbid", frozen=True, regex_engine="python-re")


class _Changes(_Input):
    model_config = ConfigDict(json_schema_extra=_no_null_default)
    _required: tuple[str, ...] = ()  # fields that take no null

    @model_validator(mode="after")
    def _null_only_where_clearable(self) -> "_Changes":
        for name in self._required:
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self

    def given(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


AREA_HELP = (
    "where the store's customers live: {kind: radius, latitude, longitude, radius_m} or "
    "{kind: polygon, points: [[lat, lon], ...]}; used when the tenant's ownership rule is "
    "'area'; null clears it"
)


class RegionDraft(_Input):
    id: RecordId = Field(examples=["region-sh"])
    name: Name
    address: Address = ""
    coordinates: Coordinates | None = None


class RegionChanges(_Changes):
    _required = ("name", "address")
    name: SkipJsonSchema[None] | Name = None
    address: SkipJsonSchema[None] | Address = None
    coordinates: Coordinates | None = None


class StoreDraft(_Input):
    id: RecordId = Field(examples=["store-sh-xuhui"])
    region_id: RecordId = Field(examples=["region-sh"])
    name: Name
    city: City = ""
    address: Address = ""
    coordinates: Coordinates | None = None
    time_zone: TimeZoneName = "Asia/Shanghai"
    opening_hours: OpeningHours = Field(default_factory=OpeningHours)
    status: StoreStatus = "open"
    area: StoreArea | None = Field(default=None, description=AREA_HELP)


class StoreChanges(_Changes):
    _required = ("region_id", "name", "city", "address", "time_zone", "opening_hours", "status")
    region_id: SkipJsonSchema[None] | RecordId = Field(default=None, examples=["region-sh"])
    name: SkipJsonSchema[None] | Name = None
    city: SkipJsonSchema[None] | City = None
    address: SkipJsonSchema[None] | Address = None
    coordinates: Coordinates | None = None
    time_zone: SkipJsonSchema[None] | TimeZoneName = None
    opening_hours: SkipJsonSchema[None] | OpeningHours = None
    status: SkipJsonSchema[None] | StoreStatus = None
    area: StoreArea | None = Field(default=None, description=AREA_HELP)


class StaffDraft(_Input):
    code: StaffCode = Field(description="what tills send as staff_id; unique in the tenant")
    name: Name
    role: StaffRole
    home_store_id: RecordId | None = Field(default=None, examples=["store-sh-xuhui"])
    region_id: RecordId | None = Field(
        default=None,
        examples=["region-sh"],
        description="defaults to the home store's region; must be it if both are given",
    )
    skills: Skills = Field(default_factory=list)
    on_shift: StrictBool = False
    phone: Phone | None = None
    email: Email | None = None


class StaffChanges(_Changes):
    _required = ("code", "name", "role", "skills")
    code: SkipJsonSchema[None] | StaffCode = None
    name: SkipJsonSchema[None] | Name = None
    role: SkipJsonSchema[None] | StaffRole = None
    home_store_id: RecordId | None = Field(default=None, examples=["store-sh-xuhui"])
    region_id: RecordId | None = Field(default=None, examples=["region-sh"])
    skills: SkipJsonSchema[None] | Skills = None
    phone: Phone | None = None
    email: Email | None = None


class Shift(_Input):
    on_shift: StrictBool
