"""Tasks: a title, a due time, an owner and a customer; open until done. Overdue is
computed (open and due before now), never stored. Every write is audited and queues the
customer for their stores' caches (hub/crm/customer_changes.py), since the clerk's prompt
shows a customer's open tasks (`open_tasks_for`, read by hub/gateways/cache.py)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session
from uuid6 import uuid7

from hub.auth import audit
from hub.auth.scope import Scope
from hub.crm.activities.scoping import (
    acting_staff,
    of_reached_customers,
    reached_customer,
    writer,
)
from hub.crm.customer_changes import mark_changed
from hub.db.arrays import any_of
from hub.db.models import TASK_DONE, TASK_OPEN, Task
from hub.errors import NotFound
from wire.messages import TaskSummary

MAX_CACHED = 20  # wire: CachedCustomer.open_tasks
Status = Literal["open", "done"]


@dataclass(frozen=True)
class NewTask:
    customer_id: str
    title: str
    due_at: datetime | None = None
    owner_staff_id: str | None = None  # default: the caller


@dataclass(frozen=True)
class TaskChanges:
    title: str | None = None
    due_at: datetime | None = None
    owner_staff_id: str | None = None
    status: Status | None = None


def is_overdue(task: Task, now: datetime) -> bool:
    return task.status == TASK_OPEN and task.due_at is not None and task.due_at < now


def add_task(session: Session, scope: Scope, new: NewTask, now: datetime) -> Task:
    customer = reached_customer(session, scope, new.customer_id)
    task = Task(
        id=f"tsk-{uuid7().hex}",
        tenant_id=scope.tenant_id,
        customer_id=customer.id,
        owner_staff_id=acting_staff(session, scope, new.owner_staff_id, "owner_staff_id"),
        title=new.title,
        due_at=new.due_at,
        status=TASK_OPEN,
        created_at=now,
    )
    session.add(task)
    session.flush()
    audit.record(session, scope, "create", "task", task.id, after=audit.row_values(task), now=now)
    mark_changed(session, scope.tenant_id, [customer.id], now)
    return task


def get_task(session: Session, scope: Scope, task_id: str, lock: bool = False) -> Task:
    writer(scope)
    stmt = select(Task).where(
        Task.id == task_id,
        Task.tenant_id == scope.tenant_id,
        of_reached_customers(scope, Task.customer_id),
    )
    found = session.scalar(stmt.with_for_update() if lock else stmt)
    if found is None:
        raise NotFound(f"task {task_id}")
    return found


def change_task(
    session: Session, scope: Scope, task_id: str, changes: TaskChanges, now: datetime
) -> Task:
    task = get_task(session, scope, task_id, lock=True)
    before = audit.row_values(task)
    if changes.owner_staff_id is not None:
        task.owner_staff_id = acting_staff(session, scope, changes.owner_staff_id, "owner_staff_id")
    task.title = changes.title if changes.title is not None else task.title
    task.due_at = changes.due_at if changes.due_at is not None else task.due_at
    if changes.status is not None and changes.status != task.status:
        task.status = changes.status
        task.done_at = now if changes.status == TASK_DONE else None
    session.flush()
    old, new = audit.changed(before, audit.row_values(task))
    audit.record(session, scope, "update", "task", task.id, before=old, after=new, now=now)
    mark_changed(session, scope.tenant_id, [task.customer_id], now)
    return task


def list_tasks(
    session: Session,
    scope: Scope,
    *,
    customer_id: str | None,
    owner_staff_id: str | None,
    status: Status | None,
    limit: int,
) -> list[Task]:
    """Tasks of customers in scope, soonest due first (no due time last)."""
    writer(scope)
    stmt = select(Task).where(
        Task.tenant_id == scope.tenant_id, of_reached_customers(scope, Task.customer_id)
    )
    if customer_id is not None:
        stmt = stmt.where(Task.customer_id == customer_id)
    if owner_staff_id is not None:
        stmt = stmt.where(Task.owner_staff_id == owner_staff_id)
    if status is not None:
        stmt = stmt.where(Task.status == status)
    order = (Task.due_at.asc().nulls_last(), Task.id)
    return list(session.scalars(stmt.order_by(*order).limit(limit)))


def open_tasks_for(session: Session, customer_ids: Iterable[str]) -> dict[str, list[TaskSummary]]:
    """Each customer's open tasks for their cache entry, soonest due first, at most
    MAX_CACHED each; one statement."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(Task.customer_id, Task.id, Task.title, Task.due_at)
        .where(any_of(Task.customer_id, ids), Task.status == TASK_OPEN)
        .order_by(Task.customer_id, Task.due_at.asc().nulls_last(), Task.id)
    )
    found: dict[str, list[TaskSummary]] = defaultdict(list)
    for customer_id, task_id, title, due_at in rows:
        if len(found[customer_id]) < MAX_CACHED:
            found[customer_id].append(TaskSummary(task_id=task_id, title=title, due_at=due_at))
    return found
