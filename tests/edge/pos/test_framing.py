"""FrameDecoder: round trips, arbitrary splits, noise, and each kind of damage."""

from collections.abc import Sequence

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from edge.errors import PosFrameError
from edge.pos.framing import (
    ETX,
    LF,
    MAX_PAYLOAD,
    STX,
    BadFrame,
    Frame,
    FrameDecoder,
    FrameFault,
    crc16_ccitt_false,
    encode_frame,
)
from storepulse.emulators.pos_terminal import frame as independent_frame

# any text the format can carry: every code point but STX/ETX (and surrogates, not UTF-8)
payloads = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x02\x03"),
    max_size=300,
)
noise = st.binary(max_size=64)


def _feed_in_pieces(decoder: FrameDecoder, data: bytes, cuts: list[int]) -> list[object]:
    out: list[object] = []
    start = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        out += decoder.feed(data[start:cut])
        start = cut
    return out


def _frames(results: Sequence[object]) -> list[str]:
    return [r.payload for r in results if isinstance(r, Frame)]


def test_crc_is_ccitt_false_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert encode_frame("123456789") == b"\x02123456789\x0329B1\n"


@given(payloads)
def test_round_trip_and_matches_independent_encoder(payload: str) -> None:
    wire = encode_frame(payload)
    assert wire == independent_frame(payload)
    assert FrameDecoder().feed(wire) == [Frame(payload=payload, raw=wire)]
    assert Frame.from_bytes(wire).payload == payload


@given(st.lists(payloads, min_size=1, max_size=5), st.lists(st.integers(0, 10_000), max_size=20))
def test_split_at_arbitrary_points(batch: list[str], cuts: list[int]) -> None:
    data = b"".join(encode_frame(p) for p in batch)
    assert _frames(_feed_in_pieces(FrameDecoder(), data, cuts)) == batch


@given(st.lists(payloads, min_size=1, max_size=3))
def test_one_byte_at_a_time(batch: list[str]) -> None:
    decoder = FrameDecoder()
    out: list[object] = []
    for byte in b"".join(encode_frame(p) for p in batch):
        out += decoder.feed(bytes([byte]))
    assert out == [Frame(p, encode_frame(p)) for p in batch]


@settings(max_examples=300)
@given(st.lists(st.tuples(noise, payloads), min_size=1, max_size=5), noise)
def test_noise_between_frames_never_loses_a_good_frame(
    pairs: list[tuple[bytes, str]], tail: bytes
) -> None:
    data = b"".join(junk + encode_frame(p) for junk, p in pairs) + tail
    got = iter(_frames(FrameDecoder().feed(data)))
    # noise may itself contain a valid frame, so the good ones are a subsequence, in order
    assert all(any(g == p for g in got) for _, p in pairs)


@given(payloads, st.integers(0, 3), st.integers(1, 15))
def test_corrupt_checksum_is_bad_checksum(payload: str, index: int, shift: int) -> None:
    wire = bytearray(encode_frame(payload))
    pos = len(wire) - 5 + index  # one of the 4 hex digits
    hexdigits = b"0123456789ABCDEF"
    wire[pos] = hexdigits[(hexdigits.index(wire[pos]) + shift) % 16]
    (result,) = FrameDecoder().feed(bytes(wire))
    assert isinstance(result, BadFrame) and result.fault is FrameFault.BAD_CHECKSUM
    assert result.raw == bytes(wire)


@given(payloads.filter(bool), st.data())
def test_corrupt_payload_bit_is_bad_checksum(payload: str, data: st.DataObject) -> None:
    wire = bytearray(encode_frame(payload))
    pos = data.draw(st.integers(1, len(wire) - 7))  # a payload byte
    wire[pos] ^= 1 << data.draw(st.integers(0, 7))
    assume(wire[pos] not in (STX, ETX))
    (result,) = FrameDecoder().feed(bytes(wire))  # CRC-16 catches every single-bit error
    assert isinstance(result, BadFrame) and result.fault is FrameFault.BAD_CHECKSUM


@given(payloads, st.data())
def test_truncated_frame_then_good_frame(payload: str, data: st.DataObject) -> None:
    wire = encode_frame(payload)
    cut = data.draw(st.integers(1, len(wire) - 1))  # keep STX, lose at least the LF
    good = encode_frame("CHK|next")
    result = FrameDecoder().feed(wire[:cut] + good)
    assert isinstance(result[0], BadFrame) and result[0].fault is FrameFault.TRUNCATED
    assert result[0].raw == wire[:cut]
    assert result[1:] == [Frame("CHK|next", good)]


def test_silence_mid_frame_expires_as_truncated() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\x02CHK|half") == []
    assert decoder.pending
    error = decoder.expire()
    assert isinstance(error, BadFrame) and error.fault is FrameFault.TRUNCATED
    assert error.raw == b"\x02CHK|half"
    assert not decoder.pending and decoder.expire() is None


def test_oversized_payload_is_dropped_until_next_stx() -> None:
    big = b"\x02" + b"A" * (MAX_PAYLOAD + 500) + b"\x03" + b"0000\n"
    good = encode_frame("SVC|type=x")
    result = FrameDecoder().feed(big + good)
    assert len(result) == 2
    assert isinstance(result[0], BadFrame) and result[0].fault is FrameFault.OVERSIZED
    assert result[1] == Frame("SVC|type=x", good)


def test_payload_of_exactly_max_size_is_accepted() -> None:
    payload = "é" * (MAX_PAYLOAD // 2)
    assert FrameDecoder().feed(encode_frame(payload))[0] == Frame(payload, encode_frame(payload))
    with pytest.raises(ValueError, match="limit"):
        encode_frame(payload + "x")


def test_invalid_utf8_with_valid_crc_is_bad_utf8() -> None:
    body = b"CHK|\xff\xfe"
    wire = bytes([STX]) + body + bytes([ETX]) + f"{crc16_ccitt_false(body):04X}".encode() + b"\n"
    (result,) = FrameDecoder().feed(wire)
    assert isinstance(result, BadFrame) and result.fault is FrameFault.BAD_UTF8


@pytest.mark.parametrize(
    ("tail", "fault"),
    [(b"29b1\n", FrameFault.BAD_TRAILER), (b"29B1\r", FrameFault.BAD_TRAILER)],
)
def test_bad_trailer(tail: bytes, fault: FrameFault) -> None:
    (result,) = FrameDecoder().feed(b"\x02123456789\x03" + tail)
    assert isinstance(result, BadFrame) and result.fault is fault
    assert isinstance(result, PosFrameError) and result.reason.startswith(fault.value)


def test_noise_without_stx_is_counted_not_reported() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\x00\xffhello\x03\n") == []
    assert decoder.noise_bytes == 9


def test_encode_refuses_control_bytes_of_the_framing() -> None:
    for bad in ("a\x02b", "a\x03b"):
        with pytest.raises(ValueError, match="STX"):
            encode_frame(bad)
    assert ETX != LF  # the trailer is ETX, 4 hex digits, LF
