"""Tasks with due dates (docs/crm/activities.md): added, changed, done; the clerk's prompt
shows a customer's open ones (the stores' caches follow every write)."""

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from hub.api.activity_schemas import TaskIn, TaskOut, TaskPatch
from hub.api.deps import ScopeDep, SessionDep, WriteSessionDep
from hub.api.routes.org_params import READ_ERRORS, WRITE_ERRORS
from hub.api.schemas import Problem
from hub.auth.masking import shown_to
from hub.auth.scope import Scope
from hub.crm.activities import tasks
from hub.crm.org.fields import PRINTABLE
from hub.db.models import Task

router = APIRouter(prefix="/tasks", tags=["activities"], responses={503: {"model": Problem}})
TaskIdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=PRINTABLE)]
RefQuery = Annotated[str | None, Query(min_length=1, max_length=64, pattern=PRINTABLE)]


def task_out(scope: Scope, task: Task, now: datetime) -> TaskOut:
    shown = shown_to(scope.role)
    return TaskOut(
        id=task.id,
        customer_id=task.customer_id,
        owner_staff_id=task.owner_staff_id,
        title=task.title if shown.health_tags else None,
        due_at=task.due_at,
        status=task.status,
        overdue=tasks.is_overdue(task, now),
        done_at=task.done_at,
        created_at=task.created_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def add_task(body: TaskIn, session: WriteSessionDep, scope: ScopeDep) -> TaskOut:
    """A task about a customer in scope, owned by the caller unless another is named."""
    now = datetime.now(UTC)
    new = tasks.NewTask(body.customer_id, body.title, body.due_at, body.owner_staff_id)
    return task_out(scope, tasks.add_task(session, scope, new, now), now)


@router.get("")
def list_tasks(
    session: SessionDep,
    scope: ScopeDep,
    customer_id: RefQuery = None,
    owner_staff_id: RefQuery = None,
    task_status: Annotated[Literal["open", "done"] | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[TaskOut]:
    """Tasks of customers in scope, soonest due first."""
    now = datetime.now(UTC)
    found = tasks.list_tasks(
        session,
        scope,
        customer_id=customer_id,
        owner_staff_id=owner_staff_id,
        status=task_status,
        limit=limit,
    )
    return [task_out(scope, t, now) for t in found]


@router.get("/{task_id}", responses=READ_ERRORS)
def get_task(task_id: TaskIdPath, session: SessionDep, scope: ScopeDep) -> TaskOut:
    return task_out(scope, tasks.get_task(session, scope, task_id), datetime.now(UTC))


@router.patch("/{task_id}", responses=WRITE_ERRORS)
def change_task(
    task_id: TaskIdPath, body: TaskPatch, session: WriteSessionDep, scope: ScopeDep
) -> TaskOut:
    """Change the title, due time or owner, or mark the task done (or open again)."""
    now = datetime.now(UTC)
    changes = tasks.TaskChanges(body.title, body.due_at, body.owner_staff_id, body.status)
    return task_out(scope, tasks.change_task(session, scope, task_id, changes, now), now)
