"""Demo activities: a few open tasks (so a tap of 王芳's card shows one on the clerk's
page), a call, a note, a planned visit and a service ticket. Fixed ids: seeding twice
changes nothing. Written as rows, as the rest of the demo is (no audit entries)."""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from hub.db.models import TASK_OPEN, Activity, Task, Ticket, Visit
from hub.demo import data as demo

Row = Task | Activity | Visit | Ticket

CLERK = "stf-demo-xuhui-1"
TASKS = (  # id, customer, title, due in hours
    ("tsk-demo-01", "cus-demo-01", "复购提醒：降压药", 24),
    ("tsk-demo-02", "cus-demo-02", "回访：血糖仪使用", 48),
    ("tsk-demo-03", "cus-demo-10", "电话确认上门送药", -2),  # overdue
)


def seed_activities(session: Session, now: datetime) -> None:
    tenant = demo.TENANT[0]
    for task_id, customer, title, hours in TASKS:
        _once(
            session,
            Task(
                id=task_id, tenant_id=tenant, customer_id=customer, owner_staff_id=CLERK,
                title=title, due_at=now + timedelta(hours=hours), status=TASK_OPEN,
                created_at=now - timedelta(days=1),
            )
        )  # fmt: skip
    _once(
        session,
        Activity(
            id="act-demo-call-01", tenant_id=tenant, customer_id="cus-demo-01", staff_id=CLERK,
            kind="call", at=now - timedelta(days=2), direction="outbound", duration_s=180,
            body="提醒复查血压", created_at=now,
        )
    )  # fmt: skip
    _once(
        session,
        Activity(
            id="act-demo-note-01", tenant_id=tenant, customer_id="cus-demo-01", staff_id=CLERK,
            kind="note", at=now - timedelta(days=1, hours=3), body="偏好上午来店",
            created_at=now,
        )
    )  # fmt: skip
    _once(
        session,
        Visit(
            id="vis-demo-01", tenant_id=tenant, customer_id="cus-demo-10", staff_id=CLERK,
            store_id="store-sh-xuhui", planned_at=now + timedelta(days=1),
            planned_lat=31.1880, planned_lon=121.4370, far=False, note="", created_at=now,
        )
    )  # fmt: skip
    _once(
        session,
        Ticket(
            id="tkt-demo-01", tenant_id=tenant, customer_id="cus-demo-10",
            store_id="store-sh-xuhui", title="血压计读数不准", description="购买两周后读数偏高",
            state="assigned", opened_at=now - timedelta(days=3), opened_by="staff:" + CLERK,
            assignee_staff_id=CLERK, assigned_at=now - timedelta(days=3),
            assigned_by="staff:stf-demo-sm-xuhui", resolution="",
        )
    )  # fmt: skip


def _once(session: Session, row: Row) -> None:
    if session.get(type(row), row.id) is None:
        session.add(row)
