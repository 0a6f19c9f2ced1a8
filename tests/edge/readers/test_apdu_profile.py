"""The APDU exchange of a profile, against scripted cards (plain functions, no PC/SC)."""

from collections.abc import Callable

import pytest

from edge.readers.apdu_profile import PROFILES, SP_ID_V1, ApduProfile, CardRejected

NUMBER = b"11010519491231002X"
SELECT = bytes.fromhex("00A4040C06F05350494401")
READ = bytes.fromhex("00B0000012")
OK = 0x9000


def scripted(
    answers: dict[bytes, list[tuple[bytes, int]]],
) -> tuple[Callable[[bytes], tuple[bytes, int]], list[bytes]]:
    """A card that answers each APDU from a queue, and the list of APDUs it was sent."""
    sent: list[bytes] = []

    def transmit(apdu: bytes) -> tuple[bytes, int]:
        sent.append(apdu)
        return answers[apdu].pop(0)

    return transmit, sent


def test_sp_id_v1_is_select_then_read_binary() -> None:
    transmit, sent = scripted({SELECT: [(b"", OK)], READ: [(NUMBER, OK)]})
    assert SP_ID_V1.read_number(transmit) == NUMBER.decode()
    assert sent == [SELECT, READ]
    assert PROFILES["sp-id-v1"] is SP_ID_V1


def test_wrong_le_is_corrected_once_from_6cxx() -> None:
    short = bytes.fromhex("00B0000009")
    profile = ApduProfile("ssn", b"\xf0SPSSN", READ, r"[0-9]{9}", max_length=9)
    select = bytes.fromhex("00A4040C06F0535053534E")
    transmit, sent = scripted(
        {select: [(b"", OK)], READ: [(b"", 0x6C09)], short: [(b"078051120", OK)]}
    )
    assert profile.read_number(transmit) == "078051120"
    assert sent == [select, READ, short]


def test_6cxx_beyond_max_length_is_refused_without_asking_again() -> None:
    transmit, sent = scripted({SELECT: [(b"", OK)], READ: [(b"", 0x6C40)]})
    with pytest.raises(CardRejected, match="offers 64 bytes") as caught:
        SP_ID_V1.read_number(transmit)
    assert caught.value.sw == b"\x6c\x40"
    assert sent == [SELECT, READ]


def test_61xx_collects_the_rest_with_get_response() -> None:
    rest = bytes.fromhex("00C0000008")
    transmit, sent = scripted(
        {SELECT: [(b"", OK)], READ: [(NUMBER[:10], 0x6108)], rest: [(NUMBER[10:], OK)]}
    )
    assert SP_ID_V1.read_number(transmit) == NUMBER.decode()
    assert sent == [SELECT, READ, rest]


def test_endless_61xx_is_refused() -> None:
    more = bytes.fromhex("00C0000001")
    transmit, _ = scripted(
        {SELECT: [(b"", OK)], READ: [(b"1", 0x6101)], more: [(b"1", 0x6101)] * 9}
    )
    with pytest.raises(CardRejected, match="keeps answering 61xx"):
        SP_ID_V1.read_number(transmit)


@pytest.mark.parametrize(
    ("data", "sw", "reason", "raw"),
    [
        (b"", 0x6982, "READ answered SW 6982", b"\x69\x82"),
        (NUMBER + b"0", OK, "19 bytes, at most 18", b""),
        (NUMBER[:17], OK, "17-byte answer does not match", b""),
        (b"1101051949123100 X", OK, "does not match", b""),
        (b"\xff" * 18, OK, "not ASCII", b""),
        (b"110105194912310021", OK, "GB 11643 check digit", b""),
    ],
)
def test_garbage_and_errors_are_rejected_without_the_data(
    data: bytes, sw: int, reason: str, raw: bytes
) -> None:
    transmit, _ = scripted({SELECT: [(b"", OK)], READ: [(data, sw)]})
    with pytest.raises(CardRejected, match=reason) as caught:
        SP_ID_V1.read_number(transmit)
    assert caught.value.sw == raw
    assert data.decode("latin-1") not in str(caught.value) or not data
    assert caught.value.__context__ is None


def test_select_refused_stops_before_reading() -> None:
    transmit, sent = scripted({SELECT: [(b"", 0x6A82)]})
    with pytest.raises(CardRejected, match="SELECT F05350494401 answered SW 6A82"):
        SP_ID_V1.read_number(transmit)
    assert sent == [SELECT]
