"""Staff ids at the POS resolve to staff records at projection: the till's text is kept,
the record is referenced (staff_ref), an unknown code is flagged (staff_unknown) and
counted, never dropped; creating that staff member later resolves the flagged rows."""

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.crm.org import staff
from hub.crm.org.inputs import StaffDraft
from hub.crm.org.staff_refs import resolve_all_flagged, unknown_codes
from hub.db.event_origin import Where
from hub.db.models import AuditEntry, Purchase, Staff, Touchpoint
from hub.demo.seed import SeedResult
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from hub.projection.crm_batch import apply_batch
from tests.hub.batches import T0, batch, checkout, payload
from tests.hub.callers import XUHUI_CLERK, client_as
from tests.hub.org_scopes import ADMIN
from wire.events import PosCheckout, PosServiceLogged

GW = "gw-demo-1"
UNKNOWN = "storepulse_hub_staff_unknown_total"


def _sold(receipt: str, staff_id: str | None, member: str | None = "M1001") -> PosCheckout:
    return checkout(receipt, member=member).model_copy(update={"staff_id": staff_id})


def _served(staff_id: str) -> PosServiceLogged:
    return PosServiceLogged(service_type="blood_pressure", note="132/85", staff_id=staff_id)


BODIES = [
    _sold("R-KNOWN", "S07"),  # 曹宇 of the Xuhui store
    _sold("R-STRANGER", "S99"),  # nobody has S99 yet
    _sold("R-ANON", "S99", member=None),  # an anonymous sale: a purchase, no touchpoint
    _served("S99"),
    _sold("R-NOBODY", None),  # the till named no clerk: nothing to resolve or flag
]


def _rows(sessions: sessionmaker[Session]) -> dict[str, tuple[str | None, str | None, bool]]:
    """receipt (or touchpoint detail) -> (staff_id, staff_ref, staff_unknown)"""
    with sessions() as s:
        sold = s.execute(
            select(Purchase.receipt_no, Purchase.staff_id, Purchase.staff_ref,
                   Purchase.staff_unknown).where(Purchase.event_id.is_not(None))
        )  # fmt: skip
        touched = s.execute(
            select(Touchpoint.detail, Touchpoint.staff_id, Touchpoint.staff_ref,
                   Touchpoint.staff_unknown).where(Touchpoint.event_id.is_not(None))
        )  # fmt: skip
        return {
            **{f"p:{r}": (a, b, c) for r, a, b, c in sold},
            **{f"t:{d}": (a, b, c) for d, a, b, c in touched},
        }


def _expect_flagged(rows: dict[str, tuple[str | None, str | None, bool]]) -> None:
    assert rows["p:R-KNOWN"] == rows["t:R-KNOWN"] == ("S07", "stf-demo-xuhui-1", False)
    assert rows["p:R-STRANGER"] == rows["t:R-STRANGER"] == ("S99", None, True)
    assert rows["p:R-ANON"] == ("S99", None, True) and "t:R-ANON" not in rows
    assert rows["t:blood_pressure: 132/85"] == ("S99", None, True)
    assert rows["p:R-NOBODY"] == rows["t:R-NOBODY"] == (None, None, False)


def test_projection_resolves_known_codes_and_flags_unknown_ones(
    ingest: IngestService, projector: ConsumerRunner, sessions: sessionmaker[Session]
) -> None:
    before = REGISTRY.get_sample_value(UNKNOWN) or 0.0
    ingest.commit_batch(GW, payload(batch(GW, BODIES)), T0)
    assert projector.drain().applied == len(BODIES)
    _expect_flagged(_rows(sessions))
    assert (REGISTRY.get_sample_value(UNKNOWN) or 0.0) - before == 3  # three events
    with sessions() as s:
        assert unknown_codes(s, "tenant-demo") == {"S99": 4}
    # The 360 shows both: what the till sent, and whom it names.
    with client_as(sessions, XUHUI_CLERK) as client:  # a clerk of the store: every field
        view = client.get("/customers/cus-demo-01", params={"limit": 200}).json()
    by_receipt = {p["receipt_no"]: p for p in view["purchases"]}
    assert by_receipt["R-KNOWN"]["staff_ref"] == "stf-demo-xuhui-1"
    assert (by_receipt["R-STRANGER"]["staff_id"], by_receipt["R-STRANGER"]["staff_unknown"]) == (
        "S99", True
    )  # fmt: skip
    # S99 joins: creating the record resolves what the tills sent before.
    with sessions.begin() as s:
        draft = StaffDraft.model_validate(
            {"code": "S99", "name": "新人", "role": "staff", "home_store_id": "store-sh-xuhui"}
        )
        joined = staff.create_staff(session=s, scope=ADMIN, draft=draft).staff.id
    rows = _rows(sessions)
    for key in ("p:R-STRANGER", "t:R-STRANGER", "p:R-ANON", "t:blood_pressure: 132/85"):
        assert rows[key] == ("S99", joined, False), key
    with sessions() as s:
        assert unknown_codes(s, "tenant-demo") == {}
        resolved = s.scalars(select(AuditEntry).where(AuditEntry.action == "resolve")).one()
    assert (resolved.entity_id, resolved.after) == (joined, {"code": "S99", "rows": 4})


@pytest.mark.parametrize("path", ["batch", "per-event"])
def test_both_paths_link_staff_alike(
    sessions: sessionmaker[Session], seeded: SeedResult, path: str
) -> None:
    where = Where("tenant-demo", "store-sh-xuhui", GW, T0)
    events = [(where, e) for e in batch(GW, BODIES).events]
    with sessions.begin() as session:
        if path == "batch":
            flagged = apply_batch(session, "tenant-demo", events, T0).staff_unknown
        else:
            flagged = sum(
                apply_batch(session, "tenant-demo", [e], T0).staff_unknown for e in events
            )
    assert flagged == 3
    _expect_flagged(_rows(sessions))


def test_rows_flagged_before_a_code_existed_resolve_in_bulk(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    """A staff record made without create (an import, a race with the projection) is
    caught up by resolve_all_flagged (`storepulse hub org staff resolve`)."""
    where = Where("tenant-demo", "store-sh-xuhui", GW, T0)
    with sessions.begin() as session:
        apply_batch(session, "tenant-demo", [(where, e) for e in batch(GW, BODIES).events], T0)
    with sessions.begin() as s:
        s.add(Staff(id="stf-imported", tenant_id="tenant-demo", code="S99", name="导入",
                    role="staff", skills=[], created_at=T0, updated_at=T0))  # fmt: skip
    with sessions.begin() as s:
        assert resolve_all_flagged(s, ADMIN) == 4
        assert resolve_all_flagged(s, ADMIN) == 0
    assert _rows(sessions)["p:R-ANON"] == ("S99", "stf-imported", False)
