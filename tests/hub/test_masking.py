"""Masking rules, with expectations worked out by hand from the rule in docs/security.md
(identifiers keep their last quarter, at most 4 characters; hashes keep 8 hex digits)."""

from pathlib import Path

import pytest

from hub.auth.masking import SHOWN, mask_identifier, shown_to
from hub.auth.scope import Role
from hub.errors import Forbidden

HASH = "3f" * 32


@pytest.mark.parametrize(
    ("kind", "value", "masked"),
    [
        ("member_no", "M1005", "****5"),  # 5 // 4 = 1 shown; before: "M1*05", 3 of 4 digits
        ("member_no", "M1001", "****1"),
        ("member_no", "0042", "***2"),
        ("member_no", "M12", "***"),  # under 4 characters: nothing shown
        ("member_no", "M", "*"),
        ("member_no", "M20260001", "*******01"),  # 9 // 4 = 2
        ("card_uid", "04A1B2C3", "******C3"),  # a 4-byte UID: 2 of 8
        ("card_uid", "01010501B00AC30B", "************C30B"),  # 4 of 16
        ("card_uid", "04" * 10, "*" * 16 + "0404"),  # 20 characters: still 4 at most
        ("id_hash", HASH, "3f3f3f3f…"),
        ("phone_hash", HASH, "3f3f3f3f…"),
    ],
)
def test_identifiers_show_at_most_a_quarter_of_their_tail(
    kind: str, value: str, masked: str
) -> None:
    assert mask_identifier(kind, value) == masked


def test_no_member_number_shows_more_than_a_quarter() -> None:
    for length in range(1, 40):
        value = "M" + "7" * (length - 1)
        shown = len(value) - mask_identifier("member_no", value).count("*")
        assert shown <= length // 4 and shown <= 4, value


def _doc_table() -> dict[str, list[str]]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "security.md").read_text()
    section = text.split("## What each role sees", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("| ")]
    return {cells[0].strip(): [c.strip() for c in cells[3:]] for cells in rows[1:]}


def test_the_documented_table_is_what_each_role_is_shown() -> None:
    documented = _doc_table()
    assert set(documented) == {role.value for role in Role}
    for role in Role:
        if role not in SHOWN:
            assert documented[role.value] == ["—"] * 5
            with pytest.raises(Forbidden):
                shown_to(role)
            continue
        shown = SHOWN[role]
        yes = {True: "yes", False: "no"}
        expected = [shown.name, shown.phone, shown.identifiers]
        assert documented[role.value] == [*expected, yes[shown.health_tags], yes[shown.items]]
