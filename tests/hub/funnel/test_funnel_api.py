"""The funnel through the API: the default six stages, a deal moved stage by stage with
each stage's requirements named when missing, its history, scoping and the audit log."""

from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import AuditEntry
from tests.hub.funnel.conftest import HZ_CUSTOMER, SH_CUSTOMER

SIX = ["lead", "qualified", "needs_diagnosed", "proposal", "negotiation", "won", "lost"]


def _open(client: TestClient, **body: Any) -> dict[str, Any]:
    made = client.post("/deals", json={"customer_id": SH_CUSTOMER, **body})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _move(client: TestClient, deal_id: str, stage: str) -> Any:
    return client.post(f"/deals/{deal_id}/transitions", json={"to_stage": stage})


def test_the_default_pipeline_has_six_stages_in_order(callers: dict[str, TestClient]) -> None:
    pipelines = callers["clerk"].get("/pipelines")
    assert pipelines.status_code == 200, pipelines.text
    [default] = pipelines.json()
    assert default["is_default"] is True
    assert [s["key"] for s in default["stages"]] == SIX
    # Six positions: won and lost are the two ends of the sixth.
    assert [s["position"] for s in default["stages"]] == [1, 2, 3, 4, 5, 6, 6]
    assert [s["kind"] for s in default["stages"]][-2:] == ["won", "lost"]
    again = callers["admin"].get(f"/pipelines/{default['id']}").json()
    assert again == default  # made once, whoever asked first


def test_a_transition_missing_two_fields_names_both(callers: dict[str, TestClient]) -> None:
    clerk = callers["clerk"]
    deal = _open(clerk, title="血压计 Blood-pressure monitors")
    assert deal["stage"] == "lead" and deal["owner_staff_id"] == "fn-clerk"
    refused = _move(clerk, deal["id"], "proposal")
    assert refused.status_code == 422, refused.text
    named = [(d["loc"], d["msg"]) for d in refused.json()["detail"]]
    assert named == [
        (["deal", "amount"], "required to enter proposal"),
        (["deal", "expected_close_on"], "required to enter proposal"),
    ]
    assert clerk.get(f"/deals/{deal['id']}").json()["stage"] == "lead"  # not moved
    changed = clerk.patch(
        f"/deals/{deal['id']}", json={"amount": "12800.50", "expected_close_on": "2027-01-15"}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["amount_cents"] == 1280050 and changed.json()["amount"] == "12800.50"
    moved = _move(clerk, deal["id"], "proposal")
    assert moved.status_code == 200, moved.text
    assert moved.json()["stage"] == "proposal"


def test_a_skip_still_needs_what_it_skips(callers: dict[str, TestClient]) -> None:
    # needs_diagnosed requires a title; skipping to proposal without one names it too.
    clerk = callers["clerk"]
    deal = _open(clerk, amount="100", expected_close_on="2027-02-01")
    refused = _move(clerk, deal["id"], "won")
    assert [d["loc"] for d in refused.json()["detail"]] == [["deal", "title"]]
    assert _move(clerk, deal["id"], "lost").status_code == 200  # lost needs nothing


def test_history_with_timestamps_and_closed_deals_stay_closed(
    callers: dict[str, TestClient],
) -> None:
    clerk = callers["clerk"]
    started = datetime.now(UTC)
    deal = _open(clerk, title="慢病套餐", amount="300", expected_close_on="2027-03-01")
    for stage in ("qualified", "proposal", "won"):
        assert _move(clerk, deal["id"], stage).status_code == 200
    shown = clerk.get(f"/deals/{deal['id']}").json()
    steps = [(h["from_stage"], h["to_stage"]) for h in shown["history"]]
    assert steps == [(None, "lead"), ("lead", "qualified"), ("qualified", "proposal"),
                     ("proposal", "won")]  # fmt: skip
    times = [datetime.fromisoformat(h["at"]) for h in shown["history"]]
    assert times == sorted(times) and started <= times[0] <= datetime.now(UTC)
    assert {h["by"] for h in shown["history"]} == {"staff:fn-clerk"}
    assert shown["status"] == "won" and shown["closed_at"] == shown["history"][-1]["at"]
    assert datetime.fromisoformat(shown["entered_stage_at"]) == times[-1]
    assert _move(clerk, deal["id"], "negotiation").status_code == 409  # leaving won
    assert clerk.patch(f"/deals/{deal['id']}", json={"amount": "1"}).status_code == 409
    assert _move(clerk, _open(clerk)["id"], "lead").status_code == 409  # where it is


def test_unknown_stage_customer_and_owner(callers: dict[str, TestClient]) -> None:
    clerk = callers["clerk"]
    deal = _open(clerk)
    unknown = _move(clerk, deal["id"], "signed")
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "to_stage"]
    far_owner = clerk.post("/deals", json={"customer_id": SH_CUSTOMER,
                                           "owner_staff_id": "stf-demo-xihu-1"})  # fmt: skip
    assert far_owner.status_code == 422, far_owner.text
    assert clerk.post("/deals", json={"customer_id": "cus-nobody"}).status_code == 404


def test_deals_are_scoped_by_region(callers: dict[str, TestClient]) -> None:
    hz = callers["rm_hz"].post("/deals", json={"customer_id": HZ_CUSTOMER, "title": "杭"})
    assert hz.status_code == 201, hz.text
    hz_id = hz.json()["id"]
    sh_id = _open(callers["rm_sh"])["id"]
    for name in ("rm_sh", "clerk"):
        client = callers[name]
        assert client.get(f"/deals/{hz_id}").status_code == 404
        assert _move(client, hz_id, "qualified").status_code == 404
        assert client.patch(f"/deals/{hz_id}", json={"title": "x"}).status_code == 404
        listed = [d["id"] for d in client.get("/deals", params={"limit": 200}).json()["deals"]]
        assert hz_id not in listed and sh_id in listed
        assert client.post("/deals", json={"customer_id": HZ_CUSTOMER}).status_code == 404
    assert callers["rm_hz"].get(f"/deals/{sh_id}").status_code == 404
    assert callers["admin"].get(f"/deals/{hz_id}").status_code == 200


def test_list_filters_and_keyset_pages(callers: dict[str, TestClient]) -> None:
    clerk = callers["clerk"]
    mine = [_open(clerk, title=f"页 {n}")["id"] for n in range(3)]
    _move(clerk, mine[0], "qualified")
    qualified = clerk.get("/deals", params={"stage": "qualified"}).json()["deals"]
    assert mine[0] in [d["id"] for d in qualified] and all(
        d["stage"] == "qualified" for d in qualified
    )
    seen: list[str] = []
    page = clerk.get("/deals", params={"limit": 2, "owner_staff_id": "fn-clerk"}).json()
    while True:
        seen += [d["id"] for d in page["deals"]]
        if page["next"] is None:
            break
        page = clerk.get(
            "/deals", params={"limit": 2, "owner_staff_id": "fn-clerk", "after": page["next"]}
        ).json()
    assert seen == sorted(mine)


def test_every_write_is_audited(
    callers: dict[str, TestClient], sessions: sessionmaker[Session]
) -> None:
    clerk = callers["clerk"]
    deal = _open(clerk, title="审计")
    clerk.patch(f"/deals/{deal['id']}", json={"amount": "88"})
    _move(clerk, deal["id"], "qualified")
    _move(clerk, deal["id"], "proposal")  # refused: no expected close date; not audited
    with sessions() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == deal["id"]).order_by(AuditEntry.id)
        ).all()
        entries = [(e.action, e.actor, e.before, e.after) for e in rows]
    assert [e[0] for e in entries] == ["create", "update", "transition"]
    assert {e[1] for e in entries} == {"staff:fn-clerk"}
    assert entries[1][2] is not None and entries[1][2]["amount_cents"] is None
    assert entries[1][3] is not None and entries[1][3]["amount_cents"] == 8800
    assert entries[2][2:] == ({"stage": "lead"}, {"stage": "qualified", "status": "open"})
