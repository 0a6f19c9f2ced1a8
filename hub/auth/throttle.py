"""Failed logins per login name. Counted for names nobody has as well, so that a lock (429)
says nothing about whether a user exists."""

from datetime import datetime

from sqlalchemy import case, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from hub.auth.policy import AuthPolicy
from hub.db.models import LoginThrottle


def locked_until(session: Session, login: str, now: datetime) -> datetime | None:
    until = session.scalar(select(LoginThrottle.locked_until).where(LoginThrottle.login == login))
    return until if until is not None and until > now else None


def record_failure(
    session: Session, policy: AuthPolicy, login: str, tenant_id: str | None, now: datetime
) -> datetime | None:
    """Count one failure (atomically: parallel guesses all count); returns the lock's end
    when this failure locks the name."""
    row = LoginThrottle
    stale = row.first_failed_at < now - policy.lock_for
    stmt = (
        insert(row)
        .values(
            login=login, tenant_id=tenant_id, failures=1, first_failed_at=now, locked_until=None
        )
        .on_conflict_do_update(
            index_elements=[row.login],
            set_={
                "failures": case((stale, 1), else_=row.failures + 1),
                "first_failed_at": case((stale, now), else_=row.first_failed_at),
            },
        )
        .returning(row.failures)
    )
    failures = session.execute(stmt).scalar_one()
    if failures < policy.max_failures:
        return None
    until = now + policy.lock_for
    session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.login == login)
        .values(failures=0, first_failed_at=now, locked_until=until)
    )
    return until


def clear(session: Session, login: str) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.login == login))


def prune(session: Session, policy: AuthPolicy, now: datetime, batch: int = 100) -> None:
    """Forget up to `batch` counters whose window and lock are over: names nobody has would
    pile up otherwise. Called at each failure, so it keeps pace with them."""
    over = now - policy.lock_for
    done = (
        select(LoginThrottle.login)
        .where(
            LoginThrottle.first_failed_at < over,
            LoginThrottle.locked_until.is_(None) | (LoginThrottle.locked_until < now),
        )
        .limit(batch)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    session.execute(delete(LoginThrottle).where(LoginThrottle.login.in_(done)))
