"""Request dependencies: settings, a read session, and the caller (the auth seam)."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from hub.settings import HubSettings


@dataclass(frozen=True)
class Principal:
    """Who is calling. Until JWT auth lands every caller is an anonymous admin; routes
    already depend on this so scoping by role/region/store plugs in here only."""

    subject: str
    role: str
    region_ids: frozenset[str] | None = None  # None: all
    store_ids: frozenset[str] | None = None  # None: all


def get_settings(request: Request) -> HubSettings:
    settings: HubSettings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    factory: sessionmaker[Session] = request.app.state.session_factory
    with factory() as session:
        yield session


def current_principal() -> Principal:
    return Principal(subject="anonymous", role="admin")


SettingsDep = Annotated[HubSettings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
