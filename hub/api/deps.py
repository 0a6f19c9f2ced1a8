"""Request dependencies: settings, a read session, and the caller's scope (hub/api/security.py)."""

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Path, Request
from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from sqlalchemy.orm import Session, sessionmaker

from hub.api.security import current_scope, current_staff, require_admin, require_grant
from hub.auth.grants import CUSTOMERS_READ, GATEWAYS_READ
from hub.auth.scope import Scope
from hub.crm.org.fields import PRINTABLE
from hub.settings import HubSettings


# Dependencies that do no I/O are `async def`: FastAPI runs a sync one in its thread pool,
# a hop each, and the hops were a large part of a customer 360 (bench/README.md).
async def get_settings(request: Request) -> HubSettings:
    settings: HubSettings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


def get_write_session(request: Request) -> Iterator[Session]:
    """One transaction for the route: committed when it returns, rolled back if it raises
    (the error still reaches the exception handlers)."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory.begin() as session:
        yield session


async def get_session_factory(request: Request) -> sessionmaker[Session]:
    """For routes that do all their database work in one thread-pool call of their own."""
    factory: sessionmaker[Session] = request.app.state.session_factory
    return factory


# A path id names a record: at most 64 characters (String(64) columns) and no control
# characters (PostgreSQL refuses a NUL in text, which made the lookup a 500).
CustomerIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=PRINTABLE, examples=["cus-demo-01"])
]
StoreIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=PRINTABLE, examples=["store-sh-xuhui"])
]
RegionIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=PRINTABLE, examples=["region-sh"])
]
StaffIdPath = Annotated[
    str, Path(min_length=1, max_length=64, pattern=PRINTABLE, examples=["stf-demo-xuhui-1"])
]
RecordIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
SettingsDep = Annotated[HubSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
WriteSessionDep = Annotated[Session, Depends(get_write_session)]
SessionFactoryDep = Annotated[sessionmaker[Session], Depends(get_session_factory)]
# A staff member's token: API keys reach only routes that name a grant (default deny), so a
# route added without one never serves an integration by accident.
ScopeDep = Annotated[Scope, Depends(current_staff)]
CallerDep = Annotated[Scope, Depends(current_scope)]  # a staff token or any API key
AdminDep = Annotated[Scope, Depends(require_admin)]  # an admin's bearer token, never a key
CustomersReadDep = Annotated[Scope, Depends(require_grant(CUSTOMERS_READ))]
GatewaysReadDep = Annotated[Scope, Depends(require_grant(GATEWAYS_READ))]


_ISO_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})$"
)


def _iso_instant(value: object) -> object:
    # Pydantic would also take a number as Unix time; the schema says date-time, so only that.
    if not isinstance(value, str) or not _ISO_INSTANT.match(value):
        raise ValueError(
            "an ISO 8601 date-time with its UTC offset, e.g. 2026-12-02T09:30:00+08:00"
        )
    return value


def _in_utc(value: datetime) -> datetime:
    try:  # 0001-01-01T00:00+05:00 is before year 1 in UTC: out of range, not a 500
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("out of the range of dates") from None


Instant = Annotated[AwareDatetime, BeforeValidator(_iso_instant), AfterValidator(_in_utc)]


def _whole(value: object) -> object:
    # JSON Schema's integer includes 3.0; a string or a boolean is still not a number.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Put last in an Annotated strict int, after its Field bounds: it runs first, then them,
# and the schema keeps its minimum and maximum.
WholeNumber = BeforeValidator(_whole)
