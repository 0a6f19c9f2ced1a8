"""The customer's timeline: every source merged newest first, paged by keyset without
loss or repeat, ties broken by (source, id); touchpoints and purchases as far as the store
scope reaches; free text only for roles shown health data; any cursor of the schema's
pattern is a position."""

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Touchpoint
from tests.hub.callers import SeededCallers
from tests.hub.org_scopes import ADMIN, RM_SH, SM_XUHUI, STAFF_XUHUI

CUSTOMER = "cus-demo-01"
SAME = "2026-11-30T08:00:00+00:00"  # a call and two notes at one instant


def _all(client: TestClient, limit: int) -> list[dict[str, object]]:
    entries: list[dict[str, object]] = []
    params: dict[str, object] = {"limit": limit}
    while True:
        page = client.get(f"/customers/{CUSTOMER}/timeline", params=params)
        assert page.status_code == 200, page.text
        entries += page.json()["entries"]
        if page.json()["next"] is None:
            return entries
        params = {"limit": limit, "before": page.json()["next"]}


def _write_one_of_each(callers: SeededCallers) -> None:
    clerk = callers.as_(STAFF_XUHUI)
    for kind in ("call", "note", "note"):
        made = clerk.post(
            "/activities", json={"kind": kind, "customer_id": CUSTOMER, "at": SAME, "body": "血压"}
        )
        assert made.status_code == 201, made.text
    assert clerk.post("/tasks", json={"customer_id": CUSTOMER, "title": "回访"}).status_code == 201
    assert (
        clerk.post("/tickets", json={"customer_id": CUSTOMER, "title": "维修"}).status_code == 201
    )
    visit = {"customer_id": CUSTOMER, "planned_at": "2026-11-29T10:00:00+08:00"}
    assert clerk.post("/visits", json=visit).status_code == 201


def test_every_source_in_one_stream_paged_without_loss_or_repeat(callers: SeededCallers) -> None:
    _write_one_of_each(callers)
    client = callers.as_(ADMIN)
    whole = _all(client, 200)
    assert {e["source"] for e in whole} == {
        "touchpoint", "purchase", "visit", "call", "note", "task", "ticket", "deal_stage"
    }  # fmt: skip
    keys = [(e["at"], e["source"], e["id"]) for e in whole]
    assert len(set(keys)) == len(keys)
    assert keys == sorted(keys, reverse=True)  # the same instants in UTC text sort as times
    tied = [(e["source"], e["id"]) for e in whole if e["at"] == "2026-11-30T08:00:00Z"]
    assert [s for s, _ in tied] == ["note", "note", "call"]  # source, then id, descending
    assert tied[0][1] > tied[1][1]
    for limit in (1, 2, 3):
        assert _all(client, limit) == whole


def test_a_cursor_of_the_schemas_shape_is_a_position(callers: SeededCallers) -> None:
    _write_one_of_each(callers)
    client = callers.as_(ADMIN)
    whole = _all(client, 200)
    nothing_before_1970 = client.get(f"/customers/{CUSTOMER}/timeline", params={"before": "0.a.a"})
    assert nothing_before_1970.status_code == 200
    assert nothing_before_1970.json() == {"entries": [], "next": None}
    # 2026-11-30 is 20 787 days after 1970-01-01 (56 years of 365 days, 14 leap days to
    # 2026, 333 days of 2026): 20 787 * 86 400 + 8 * 3 600 = 1 796 025 600 s. Before the
    # note at that instant with the highest id ("~") come that instant's rows, then older.
    at = "1796025600000000.note.~"
    after = client.get(f"/customers/{CUSTOMER}/timeline", params={"before": at, "limit": 200})
    expected = [e for e in whole if (e["at"], e["source"]) <= ("2026-11-30T08:00:00Z", "note")]
    assert after.json()["entries"] == expected
    refused = client.get(f"/customers/{CUSTOMER}/timeline", params={"before": "x"})
    assert refused.status_code == 422  # not of the pattern: the schema says so


def test_store_roles_see_their_stores_rows_and_words_follow_the_role(
    callers: SeededCallers, sessions: sessionmaker[Session]
) -> None:
    _write_one_of_each(callers)
    with sessions.begin() as session:
        session.add(
            Touchpoint(
                tenant_id="tenant-demo", customer_id=CUSTOMER, store_id="store-sh-jingan",
                kind="visit", channel="nfc", at=datetime(2026, 12, 1, tzinfo=UTC),
            )
        )  # fmt: skip
    jingan = [
        e["id"]
        for e in _all(callers.as_(ADMIN), 200)
        if e["store_id"] == "store-sh-jingan" and e["source"] == "touchpoint"
    ]
    assert len(jingan) == 1
    manager = _all(callers.as_(SM_XUHUI), 200)
    assert jingan[0] not in [e["id"] for e in manager if e["source"] == "touchpoint"]
    notes = [e["title"] for e in manager if e["source"] == "note"]
    assert "note: 血压" in notes
    regional = _all(callers.as_(RM_SH), 200)
    assert {e["title"] for e in regional if e["source"] == "note"} == {"note"}
    assert all("血压" not in str(e["title"]) for e in regional)
    assert callers.as_(STAFF_XUHUI).get("/customers/cus-act-hz/timeline").status_code == 404
