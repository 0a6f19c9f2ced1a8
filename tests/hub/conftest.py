"""Hub tests run on a scratch PostgreSQL database each (tests/conftest.py: db_url)."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hub.db import make_engine, make_session_factory, migrate
from hub.demo.seed import SeedResult, seed_demo
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from hub.projection.crm_projection import CrmProjection

TENANT_KEY = b"test-tenant-key-0123456789"
SKEW_LIMIT = 120


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    migrate(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def seeded(sessions: sessionmaker[Session]) -> SeedResult:
    return seed_demo(sessions, TENANT_KEY)


@pytest.fixture
def ingest(sessions: sessionmaker[Session], seeded: SeedResult) -> IngestService:
    return IngestService(sessions, TENANT_KEY, SKEW_LIMIT)


@pytest.fixture
def projector(sessions: sessionmaker[Session], seeded: SeedResult) -> ConsumerRunner:
    """The CRM projection of what `ingest` committed: call `drain()` after committing."""
    return ConsumerRunner(sessions, CrmProjection())
