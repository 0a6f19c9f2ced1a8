"""A merge moves every row of every registered table from the merged customer to the
survivor; the undo puts back exactly those, and also what arrived in between through the
merged customer's identifiers. Compared row by row, whole rows, both directions."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Role, Scope
from hub.crm.customer_view import scoped_customer
from hub.crm.merge import service
from hub.crm.merge.registry import REFERENCES
from hub.db.models import AuditEntry, Merge, MergeMove
from hub.demo.seed import SeedResult
from hub.errors import Conflict, Forbidden, NotFound
from hub.gateways.cache_follow import follow_once
from hub.ingest.service import IngestService
from hub.projection.consumer import ConsumerRunner
from tests.hub.identity.world import (
    ADMIN,
    CARD_A,
    CARD_B,
    Two,
    create,
    customer_fields,
    later,
    snapshot,
    two_with_history,
)
from tests.hub.test_cache_follow import Published

WHEN = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
LIMIT = 256 * 1024
XUHUI, JINGAN = "store-sh-xuhui", "store-sh-jingan"


@pytest.fixture
def two(
    sessions: sessionmaker[Session],
    seeded: SeedResult,
    ingest: IngestService,
    projector: ConsumerRunner,
) -> Two:
    made = two_with_history(sessions, ingest, projector)
    while follow_once(sessions, Published(), LIMIT):  # the caches are up to date
        pass
    return made


def _merge(sessions: sessionmaker[Session], two: Two) -> str:
    with sessions.begin() as session:
        return service.merge(session, ADMIN, two.a, two.b, WHEN).id


def _undo(sessions: sessionmaker[Session], merge_id: str) -> service.Undone:
    with sessions.begin() as session:
        return service.undo(session, ADMIN, merge_id, WHEN)


def test_merge_then_undo_loses_nothing_and_leaves_nothing_behind(
    sessions: sessionmaker[Session], two: Two, ingest: IngestService, projector: ConsumerRunner
) -> None:
    with sessions() as session:
        before = snapshot(session, [two.a, two.b])
        fields_before = {c: customer_fields(session, c) for c in (two.a, two.b)}
    # What each had: by hand, from world.two_with_history.
    owners = {t: sorted({r["customer_id"] for r in rows.values()}) for t, rows in before.items()}
    both = sorted([two.a, two.b])
    assert owners == {
        "identities": both,
        "touchpoints": both,
        "purchases": [two.b],
        "leads": [two.b],
    }
    b_rows = {
        t: {k for k, r in rows.items() if r["customer_id"] == two.b} for t, rows in before.items()
    }
    assert {t: len(keys) for t, keys in b_rows.items()} == {
        "identities": 2, "touchpoints": 2, "purchases": 1, "leads": 1,
    }  # fmt: skip

    merge_id = _merge(sessions, two)
    with sessions() as session:
        merged = snapshot(session, [two.a, two.b])
        # The same rows, whole, all on the survivor now: only customer_id differs.
        for table, rows in before.items():
            assert set(merged[table]) == set(rows), table
            for key, row in rows.items():
                assert merged[table][key] == {**row, "customer_id": two.a}, (table, key)
        moves = session.scalars(select(MergeMove).where(MergeMove.merge_id == merge_id)).all()
        assert {(m.table_name, m.row_key) for m in moves} == {
            (t, k) for t, keys in b_rows.items() for k in keys
        }
        assert customer_fields(session, two.b)["merged_into"] == two.a
        with pytest.raises(NotFound):  # hidden from every read
            scoped_customer(session, ADMIN, two.b)

    # Between merge and undo: B's card and A's card are tapped; both land on the survivor.
    later(two, ingest, projector, CARD_B, CARD_A)
    with sessions() as session:
        between = snapshot(session, [two.a, two.b])
    arrivals = set(between["touchpoints"]) - set(before["touchpoints"])
    assert len(arrivals) == 2
    assert {between["touchpoints"][k]["customer_id"] for k in arrivals} == {two.a}

    undone = _undo(sessions, merge_id)
    assert undone.moved_back == {"identities": 2, "touchpoints": 2, "purchases": 1, "leads": 1}
    assert undone.arrived == {"touchpoints": 1}
    with sessions() as session:
        after = snapshot(session, [two.a, two.b])
        assert {c: customer_fields(session, c) for c in (two.a, two.b)} == fields_before
    # Every row as it was before the merge, and the two newcomers with their own customer.
    # A lead's score is not part of that: the taps in between scored it again, as they
    # would have without any merge (hub/projection/crm_projection.py).
    for table, rows in before.items():
        for key, row in rows.items():
            assert _unscored(after[table][key]) == _unscored(row), (table, key)
    for key in arrivals:
        row = between["touchpoints"][key]
        assert row["store_id"] == XUHUI
        tapped = row["detail"]
        assert tapped == "nfc-1"
    owners_after = sorted(after["touchpoints"][k]["customer_id"] for k in arrivals)
    assert owners_after == sorted([two.a, two.b])
    assert set(after["touchpoints"]) == set(before["touchpoints"]) | arrivals


def test_the_new_tap_of_the_merged_card_goes_back_with_its_card(
    sessions: sessionmaker[Session], two: Two, ingest: IngestService, projector: ConsumerRunner
) -> None:
    merge_id = _merge(sessions, two)
    later(two, ingest, projector, CARD_B)
    _undo(sessions, merge_id)
    later(two, ingest, projector, CARD_B)  # after the undo: straight to B again
    with sessions() as session:
        rows = snapshot(session, [two.a, two.b])["touchpoints"].values()
        assert sorted(r["customer_id"] for r in rows) == sorted([two.a] * 1 + [two.b] * 4)


def test_undo_twice_and_merging_a_merged_record_are_refused(
    sessions: sessionmaker[Session], two: Two
) -> None:
    merge_id = _merge(sessions, two)
    with sessions.begin() as session, pytest.raises(Conflict, match="already merged"):
        service.merge(session, ADMIN, two.a, two.b, WHEN)
    with sessions.begin() as session, pytest.raises(Conflict, match="already merged"):
        service.merge(session, ADMIN, two.b, two.a, WHEN)
    _undo(sessions, merge_id)
    with sessions.begin() as session, pytest.raises(Conflict, match="was undone"):
        service.undo(session, ADMIN, merge_id, WHEN)
    assert _merge(sessions, two) != merge_id  # undone: may be merged again


def test_a_chain_of_merges_undoes_last_in_first_out(
    sessions: sessionmaker[Session], two: Two
) -> None:
    c = create(sessions, "王小明", XUHUI, emails=["xm.wang@example.cn"])
    first = _merge(sessions, two)  # B into A
    with sessions.begin() as session:
        second = service.merge(session, ADMIN, c, two.a, WHEN).id  # A (with B's) into C
    with sessions() as session:
        on_c = snapshot(session, [c])
        assert len(on_c["identities"]) == 5 and len(on_c["touchpoints"]) == 3
    with sessions.begin() as session, pytest.raises(Conflict, match="undo that merge first"):
        service.undo(session, ADMIN, first, WHEN)
    _undo(sessions, second)
    _undo(sessions, first)
    with sessions() as session:
        assert len(snapshot(session, [c])["identities"]) == 1
        back = snapshot(session, [two.b])
        assert {t: len(r) for t, r in back.items()} == {
            "identities": 2, "touchpoints": 2, "purchases": 1, "leads": 1,
        }  # fmt: skip


def test_caches_follow_both_ways(sessions: sessionmaker[Session], two: Two) -> None:
    merge_id = _merge(sessions, two)
    published = Published()
    while follow_once(sessions, published, LIMIT):
        pass
    # B was cached at Jing'an (home) and Xuhui (served there); A at Xuhui (home, served).
    assert two.b in published.deletes(JINGAN) and two.b in published.deletes(XUHUI)
    assert two.b not in published.upserts(JINGAN) + published.upserts(XUHUI)
    assert published.upserts(XUHUI) == [two.a] and published.upserts(JINGAN) == []
    upserted = [u for d in published.deltas for u in d.delta.upserts if u.customer_id == two.a]
    assert {i.value for i in upserted[-1].identifiers} >= {CARD_A, CARD_B}

    _undo(sessions, merge_id)
    back = Published()
    while follow_once(sessions, back, LIMIT):
        pass
    assert sorted(back.upserts(XUHUI)) == sorted([two.a, two.b])
    assert back.upserts(JINGAN) == [two.b]
    assert back.deletes(JINGAN) == back.deletes(XUHUI) == []
    a_entry = [u for d in back.deltas for u in d.delta.upserts if u.customer_id == two.a][-1]
    b_entry = [u for d in back.deltas for u in d.delta.upserts if u.customer_id == two.b][-1]
    assert CARD_B not in {i.value for i in a_entry.identifiers}
    assert CARD_B in {i.value for i in b_entry.identifiers}


def test_merges_are_audited_and_only_for_managers(
    sessions: sessionmaker[Session], two: Two
) -> None:
    merge_id = _merge(sessions, two)
    _undo(sessions, merge_id)
    with sessions() as session:
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.entity_id == two.b).order_by(AuditEntry.id)
        ).all()
        assert [e.action for e in entries][-2:] == ["merge", "unmerge"]
        assert entries[-2].after["moved"] == {
            "identities": 2, "touchpoints": 2, "purchases": 1, "leads": 1,
        }  # fmt: skip
        assert session.get_one(Merge, merge_id).undone_by == ADMIN.subject
    clerk = Scope("tenant-demo", Role.STAFF, "test:clerk", store_ids=frozenset({XUHUI}))
    with sessions.begin() as session, pytest.raises(Forbidden):
        service.merge(session, clerk, two.a, two.b, WHEN)


def test_the_registry_names_every_table_with_a_customer_column(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    """A table that gains a foreign key to customers must be registered, or a merge would
    leave its rows behind. (merges themselves and the self-reference are the machinery.)"""
    with sessions() as session:
        found = session.execute(text(CUSTOMER_KEYS)).all()
    registered = {(r.table, r.column) for r in REFERENCES}
    machinery = {("customers", "merged_into"), ("merges", "survivor_id"), ("merges", "merged_id")}
    assert {(t, c) for t, c in found} - machinery == registered


CUSTOMER_KEYS = """
SELECT c.conrelid::regclass::text, a.attname FROM pg_constraint c
JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey)
WHERE c.contype = 'f' AND c.confrelid = 'customers'::regclass
"""


def _unscored(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k not in {"score", "score_parts", "scored_at"}}
