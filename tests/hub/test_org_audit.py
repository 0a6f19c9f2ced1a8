"""Every write of the organisation is in the audit log, in its own transaction: who, what,
before and after, the request id; a refused write and a write that changes nothing leave
no entry; the CLI writes as `cli:<os user>`."""

import getpass
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from hub.auth.scope import Scope
from hub.db.models import AuditEntry
from hub.demo.seed import SeedResult
from storepulse.cli import app as cli
from tests.hub.callers import SeededCallers
from tests.hub.conftest import TENANT_KEY
from tests.hub.org_scopes import ADMIN, STAFF_XUHUI


def _entries(sessions: sessionmaker[Session]) -> list[AuditEntry]:
    """The organisation's entries (the callers' own logins are entries too)."""
    with sessions() as s:
        org = AuditEntry.entity.in_(("staff", "store", "region")) & (AuditEntry.action != "login")
        return list(s.scalars(select(AuditEntry).where(org).order_by(AuditEntry.id)))


def _client(sessions: sessionmaker[Session], scope: Scope) -> TestClient:
    return SeededCallers(sessions).as_(scope)


def test_api_writes_are_audited_with_before_after_and_request_id(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    rid = {"X-Request-ID": "req-org-0001"}
    with _client(sessions, ADMIN) as client:
        body: dict[str, Any] = {"code": "S50", "name": "龚丽", "role": "staff",
                                "home_store_id": "store-sh-xuhui"}  # fmt: skip
        staff_id = client.post("/staff", json=body, headers=rid).json()["id"]
        client.patch(f"/staff/{staff_id}", json={"skills": ["tcm"]}, headers=rid)
        client.patch(f"/staff/{staff_id}", json={"skills": ["tcm"]}, headers=rid)  # no change
        client.post(f"/staff/{staff_id}/shift", json={"on_shift": True}, headers=rid)
        client.post(f"/staff/{staff_id}/leave", headers=rid)
        client.patch("/stores/store-sh-xuhui", json={"status": "closed"}, headers=rid)
        client.post("/regions", json={"id": "region-bj", "name": "北京区"}, headers=rid)
    entries = _entries(sessions)
    assert [(e.action, e.entity, e.entity_id) for e in entries] == [
        ("create", "staff", staff_id),
        ("update", "staff", staff_id),
        ("shift", "staff", staff_id),
        ("leave", "staff", staff_id),
        ("update", "store", "store-sh-xuhui"),
        ("create", "region", "region-bj"),
    ]
    assert {(e.actor, e.actor_role, e.tenant_id, e.request_id) for e in entries} == {
        ("staff:stf-demo-admin", "admin", "tenant-demo", "req-org-0001")
    }
    create, update, shift, leave, store, _region = entries
    assert create.before is None and create.after is not None
    assert (create.after["code"], create.after["region_id"]) == ("S50", "region-sh")
    assert (update.before, update.after) == ({"skills": []}, {"skills": ["tcm"]})
    assert (shift.before, shift.after) == ({"on_shift": False}, {"on_shift": True})
    assert leave.after is not None and leave.after["status"] == "left"
    assert (store.before, store.after) == ({"status": "open"}, {"status": "closed"})


def test_refused_writes_leave_no_entry(sessions: sessionmaker[Session], seeded: SeedResult) -> None:
    with _client(sessions, STAFF_XUHUI) as client:
        assert client.patch("/stores/store-sh-xuhui", json={"name": "x"}).status_code == 403
    with _client(sessions, ADMIN) as client:
        taken = {"code": "S07", "name": "x", "role": "staff"}
        assert client.post("/staff", json=taken).status_code == 409
    assert _entries(sessions) == []


def test_cli_writes_are_audited_as_the_os_user(
    sessions: sessionmaker[Session], seeded: SeedResult, db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "hub.toml"
    config.write_text(f'database_url = "{db_url}"\ntenant_key = "{TENANT_KEY.decode()}"\n')
    result = CliRunner().invoke(cli, ["hub", "org", "stores", "update", "store-hz-xihu",
                                      "--status", "closed", "--tenant", "tenant-demo",
                                      "--config", str(config)])  # fmt: skip
    assert result.exit_code == 0, result.output
    [entry] = _entries(sessions)
    assert (entry.actor, entry.actor_role, entry.action, entry.entity_id) == (
        f"cli:{getpass.getuser()}", "admin", "update", "store-hz-xihu"
    )  # fmt: skip
    assert entry.request_id is None


def test_the_seed_leaves_no_entries(sessions: sessionmaker[Session], seeded: SeedResult) -> None:
    """Demo data is nobody's change (hub/demo/seed.py)."""
    with sessions() as s:
        assert s.scalars(select(AuditEntry)).all() == []
