"""The funnel's rules beyond the default path: the stale flag against each stage's limit,
stages that require custom fields of the deal or its customer, pipelines only admins add,
open deals moving with a leaver's book, and deal stage changes as timeline entries."""

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from hub.db.models import Customer, Deal
from tests.hub.funnel.conftest import SH_CUSTOMER
from tests.support.hub_auth import add_staff

XUHUI = "store-sh-xuhui"


def _open(client: TestClient, **body: Any) -> dict[str, Any]:
    made = client.post("/deals", json={"customer_id": SH_CUSTOMER, **body})
    assert made.status_code == 201, made.text
    return dict(made.json())


def _move(client: TestClient, deal_id: str, stage: str) -> Any:
    return client.post(f"/deals/{deal_id}/transitions", json={"to_stage": stage})


def _entered(sessions: sessionmaker[Session], deal_id: str, at: datetime) -> None:
    with sessions.begin() as session:
        session.execute(update(Deal).where(Deal.id == deal_id).values(entered_stage_at=at))


def test_a_deal_past_its_stages_limit_is_stale(
    callers: dict[str, TestClient], sessions: sessionmaker[Session]
) -> None:
    clerk = callers["clerk"]
    old, fresh, closed = (_open(clerk, title=t)["id"] for t in ("旧", "新", "关"))
    assert _move(clerk, closed, "lost").status_code == 200
    entered = datetime.now(UTC) - timedelta(hours=73)  # lead allows 72 hours
    for deal_id in (old, closed):
        _entered(sessions, deal_id, entered)
    _entered(sessions, fresh, datetime.now(UTC) - timedelta(hours=71))
    shown = clerk.get(f"/deals/{old}").json()
    assert shown["stale"] is True
    assert datetime.fromisoformat(shown["stale_at"]) == entered + timedelta(hours=72)
    assert clerk.get(f"/deals/{fresh}").json()["stale"] is False
    closed_shown = clerk.get(f"/deals/{closed}").json()  # a closed deal is never stale
    assert (closed_shown["stale"], closed_shown["stale_at"]) == (False, None)
    stale = {d["id"] for d in clerk.get("/deals", params={"stale": True}).json()["deals"]}
    not_stale = {d["id"] for d in clerk.get("/deals", params={"stale": False}).json()["deals"]}
    assert old in stale and {fresh, closed}.isdisjoint(stale)
    assert {fresh, closed} <= not_stale and old not in not_stale
    # Moving on starts the clock again.
    assert _move(clerk, old, "qualified").status_code == 200
    assert clerk.get(f"/deals/{old}").json()["stale"] is False


def _field(admin: TestClient, entity: str, name: str, type_: str) -> None:
    body = {"entity": entity, "name": name, "label_zh_cn": name, "label_en": name, "type": type_}
    made = admin.post("/custom-fields", json=body)
    assert made.status_code == 201, made.text


AGRI = {
    "name": "兽药分销 Distribution",
    "stages": [
        {"key": "visit", "name": "拜访", "stale_after_hours": 48},
        {"key": "quote", "name": "报价", "required": ["customer.farm_size", "deal.crop", "amount"]},
        {"key": "won", "name": "成交", "kind": "won"},
        {"key": "lost", "name": "流失", "kind": "lost"},
    ],
}


def test_a_stage_may_require_custom_fields_of_the_deal_and_its_customer(
    callers: dict[str, TestClient],
) -> None:
    admin, clerk = callers["admin"], callers["clerk"]
    unknown = admin.post("/pipelines", json=AGRI)
    assert unknown.status_code == 422, unknown.text
    assert [d["msg"] for d in unknown.json()["detail"]] == [
        "customer.farm_size: no such custom field",
        "deal.crop: no such custom field",
    ]
    _field(admin, "customer", "farm_size", "number")
    _field(admin, "deal", "crop", "text")
    assert clerk.post("/pipelines", json=AGRI).status_code == 403
    made = admin.post("/pipelines", json=AGRI)
    assert made.status_code == 201, made.text
    assert [s["position"] for s in made.json()["stages"]] == [1, 2, 3, 3]
    assert admin.post("/pipelines", json=AGRI).status_code == 409  # the name is taken
    deal = _open(clerk, pipeline_id=made.json()["id"])
    assert deal["stage"] == "visit"
    refused = _move(clerk, deal["id"], "quote")
    assert [d["loc"] for d in refused.json()["detail"]] == [
        ["customer", "custom", "farm_size"],
        ["deal", "custom", "crop"],
        ["deal", "amount"],
    ]
    set_customer = clerk.patch(
        f"/customers/{SH_CUSTOMER}/custom", json={"values": {"farm_size": 800}}
    )
    assert set_customer.status_code == 200, set_customer.text
    changed = clerk.patch(f"/deals/{deal['id']}", json={"values": {"crop": "生猪"}, "amount": "5"})
    assert changed.json()["values"] == {"crop": "生猪"}
    assert _move(clerk, deal["id"], "quote").status_code == 200


def test_a_leavers_open_deals_move_with_their_book_and_closed_ones_stay(
    callers: dict[str, TestClient], sessions: sessionmaker[Session]
) -> None:
    for login in ("fn-leaver", "fn-a", "fn-b"):
        add_staff(sessions, login, "staff", store_id=XUHUI, password=None)
    with sessions.begin() as session:
        session.execute(
            update(Customer).where(Customer.id == "cus-demo-03").values(owner_staff_id="fn-leaver")
        )
    admin = callers["admin"]
    follows = _open(admin, customer_id="cus-demo-03", owner_staff_id="fn-leaver")["id"]
    dealt = _open(admin, customer_id="cus-demo-04", owner_staff_id="fn-leaver")["id"]
    won = _open(admin, customer_id="cus-demo-04", owner_staff_id="fn-leaver", title="赢",
                amount="9", expected_close_on="2027-01-01")["id"]  # fmt: skip
    assert _move(admin, won, "won").status_code == 200
    body = {"rule": "round_robin", "successors": ["fn-a", "fn-b"]}
    done = callers["rm_sh"].post("/staff/fn-leaver/transfer", json=body)
    assert done.status_code == 200, done.text
    moved = {(m["kind"], m["id"]): m["to"] for m in done.json()["moved"]}
    # By hand: the one customer goes to fn-a, its deal with it; the other open deal is
    # dealt next, to fn-b; the won deal is history and stays.
    assert moved == {("customer", "cus-demo-03"): "fn-a", ("deal", follows): "fn-a",
                     ("deal", dealt): "fn-b"}  # fmt: skip
    with sessions() as session:
        owners = dict(
            session.execute(
                select(Deal.id, Deal.owner_staff_id).where(Deal.id.in_([follows, dealt, won]))
            ).all()
        )
    assert owners == {follows: "fn-a", dealt: "fn-b", won: "fn-leaver"}


def test_stage_changes_are_on_the_customers_timeline_in_scope(
    callers: dict[str, TestClient],
) -> None:
    clerk = callers["clerk"]
    deal = _open(clerk, title="血糖仪")
    assert _move(clerk, deal["id"], "qualified").status_code == 200
    page = clerk.get(f"/customers/{SH_CUSTOMER}/timeline", params={"limit": 200})
    assert page.status_code == 200, page.text
    mine = [e for e in page.json()["entries"] if e["source"] == "deal_stage"
            and e["title"].startswith("商机 血糖仪")]  # fmt: skip
    assert [e["title"] for e in mine] == [
        "商机 血糖仪: lead → qualified",
        "商机 血糖仪: opened in lead",
    ]
    assert mine[0]["at"] >= mine[1]["at"]
    assert callers["rm_hz"].get(f"/customers/{SH_CUSTOMER}/timeline").status_code == 404


def test_the_demo_has_deals_at_each_step_and_one_stale(callers: dict[str, TestClient]) -> None:
    page = callers["admin"].get("/deals", params={"limit": 200}).json()["deals"]
    demo = {d["id"]: (d["stage"], d["stale"]) for d in page if d["id"].startswith("deal-demo-")}
    assert demo == {
        "deal-demo-01": ("lead", False),
        "deal-demo-02": ("proposal", False),
        "deal-demo-03": ("negotiation", True),  # 21 days; the stage allows 14
        "deal-demo-04": ("won", False),
        "deal-demo-05": ("lost", False),
    }
    history = callers["admin"].get("/deals/deal-demo-04").json()["history"]
    assert [h["to_stage"] for h in history] == [
        "lead", "qualified", "needs_diagnosed", "proposal", "won"
    ]  # fmt: skip
