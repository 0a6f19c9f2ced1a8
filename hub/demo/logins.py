"""Demo logins: every active staff member of the demo tenant gets the login of their code
(lower case) and the documented DEMO_PASSWORD (README, "Log in to the demo"); the demo
prints them. Never for a real tenant. Running it again changes nothing."""

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.auth import api_keys
from hub.auth.credentials import LOGIN_PATTERN, set_password
from hub.auth.grants import CUSTOMERS_READ, GATEWAYS_READ, STORES_READ
from hub.auth.scope import Role, Scope
from hub.db.models import STAFF_ACTIVE, Credential, Staff
from hub.demo import data as demo

DEMO_PASSWORD = "storepulse-demo"


@dataclass(frozen=True)
class DemoLogin:
    login: str
    role: str
    name: str


def _seeder() -> Scope:
    return Scope(tenant_id=demo.TENANT[0], role=Role.ADMIN, subject="demo:seed")


def seed_logins(session_factory: sessionmaker[Session], now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    tenant_id = demo.TENANT[0]
    with session_factory.begin() as session:
        without = session.scalars(
            select(Staff)
            .outerjoin(Credential, Credential.staff_id == Staff.id)
            .where(
                Staff.tenant_id == tenant_id,
                Staff.status == STAFF_ACTIVE,
                Credential.staff_id.is_(None),
            )
            .order_by(Staff.code)
        ).all()
        for staff in without:
            if not LOGIN_PATTERN.fullmatch(staff.code.lower()):
                continue  # a code that cannot be a login name: no demo login for it
            set_password(session, _seeder(), staff.id, staff.code, DEMO_PASSWORD, now)


def demo_logins(session_factory: sessionmaker[Session]) -> list[DemoLogin]:
    """The demo tenant's logins, to print."""
    with session_factory() as session:
        rows = session.execute(
            select(Credential.login, Staff.role, Staff.name)
            .join(Staff, Staff.id == Credential.staff_id)
            .where(Staff.tenant_id == demo.TENANT[0], Staff.status == STAFF_ACTIVE)
            .order_by(Staff.role, Credential.login)
        ).all()
    return [DemoLogin(login, role, name) for login, role, name in rows]


def demo_api_key(session_factory: sessionmaker[Session], name: str = "demo scenario") -> str:
    """A key for the demo's own scripted checks (customers, stores and gateways: read)."""
    with session_factory.begin() as session:
        made = api_keys.create(
            session,
            _seeder(),
            name,
            [CUSTOMERS_READ, STORES_READ, GATEWAYS_READ],
            datetime.now(UTC),
        )
    return made.key
