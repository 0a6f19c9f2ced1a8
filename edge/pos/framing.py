"""POS serial framing: STX | payload | ETX | CRC (4 hex) | LF, decoded incrementally.

Pure and I/O-free, like bellows' framing layer: bytes in, frames or errors out. The wire
format is specified in docs/pos-protocol.md. STX never occurs inside a frame, so a STX
always starts a new frame; that is what lets the decoder resync after any damage.
"""

import binascii
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from edge.errors import PosFrameError

STX = 0x02
ETX = 0x03
LF = 0x0A
ACK = b"\x06"
NAK = b"\x15"
MAX_PAYLOAD = 8192  # bytes of UTF-8 between STX and ETX
_HEX_DIGITS = frozenset(b"0123456789ABCDEF")
_RAW_KEEP = MAX_PAYLOAD + 8  # how much of a bad frame is kept for the dead-letter record


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection); check value 0x29B1."""
    return binascii.crc_hqx(data, 0xFFFF)


class FrameFault(StrEnum):
    TRUNCATED = "truncated"  # a new STX (or a silence) came before the frame was complete
    BAD_TRAILER = "bad_trailer"  # checksum field not 4 upper-case hex digits, or no LF
    BAD_CHECKSUM = "bad_checksum"  # CRC does not match the payload
    OVERSIZED = "oversized"  # payload longer than MAX_PAYLOAD
    BAD_UTF8 = "bad_utf8"  # payload bytes are not UTF-8


class BadFrame(PosFrameError):
    """A frame the decoder rejected; `fault` is the machine-readable reason."""

    def __init__(self, fault: FrameFault, detail: str, raw: bytes) -> None:
        super().__init__(f"{fault.value}: {detail}", raw)
        self.fault = fault


@dataclass(frozen=True)
class Frame:
    payload: str
    raw: bytes

    def to_bytes(self) -> bytes:
        return encode_frame(self.payload)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Frame":
        """Decode exactly one complete frame; raises BadFrame (TRUNCATED if incomplete)."""
        decoder = FrameDecoder()
        results = decoder.feed(data)
        tail = decoder.expire()
        if tail is not None:
            results.append(tail)
        if len(results) != 1:
            raise BadFrame(FrameFault.TRUNCATED, f"want one frame, found {len(results)}", data)
        result = results[0]
        if isinstance(result, PosFrameError):
            raise result
        return result


def encode_frame(payload: str) -> bytes:
    """Frame a payload; ValueError if it holds STX/ETX or exceeds MAX_PAYLOAD bytes."""
    body = payload.encode("utf-8")
    if STX in body or ETX in body:
        raise ValueError("payload must not contain STX (0x02) or ETX (0x03)")
    if len(body) > MAX_PAYLOAD:
        raise ValueError(f"payload is {len(body)} bytes, the limit is {MAX_PAYLOAD}")
    checksum = f"{crc16_ccitt_false(body):04X}".encode("ascii")
    return bytes([STX]) + body + bytes([ETX]) + checksum + bytes([LF])


class _State(StrEnum):
    HUNT = "hunt"  # between frames: skip noise until STX
    PAYLOAD = "payload"
    CHECKSUM = "checksum"
    END = "end"  # checksum read, want LF
    DROP = "drop"  # oversized: skip until the next STX


class FrameDecoder:
    """Feed bytes as they arrive; get back frames and errors in order."""

    def __init__(self, max_payload: int = MAX_PAYLOAD) -> None:
        self.max_payload = max_payload
        self.noise_bytes = 0  # bytes skipped between frames (not errors: nothing was framed)
        self._state = _State.HUNT
        self._raw = bytearray()
        self._payload_len = 0

    @property
    def pending(self) -> bool:
        """True while a frame has started but is not complete."""
        return self._state in (_State.PAYLOAD, _State.CHECKSUM, _State.END)

    def expire(self) -> BadFrame | None:
        """The line went quiet mid-frame: give up on it (TRUNCATED) and hunt again."""
        if not self.pending:
            return None
        error = self._fail(FrameFault.TRUNCATED, f"line idle in {self._state.value}")
        self._state = _State.HUNT
        return error

    def feed(self, data: Iterable[int]) -> list[Frame | PosFrameError]:
        out: list[Frame | PosFrameError] = []
        for byte in data:
            result = self._step(byte)
            if result is not None:
                out.append(result)
        return out

    def _step(self, byte: int) -> Frame | PosFrameError | None:
        if byte == STX:
            error = None
            if self.pending:
                error = self._fail(FrameFault.TRUNCATED, f"new STX in {self._state.value}")
            self._start()
            return error
        state = self._state
        if state is _State.HUNT:
            self.noise_bytes += 1
            return None
        if state is _State.DROP:
            return None
        self._keep(byte)
        if state is _State.PAYLOAD:
            return self._payload_byte(byte)
        if state is _State.CHECKSUM:
            return self._checksum_byte(byte)
        return self._end_byte(byte)

    def _start(self) -> None:
        self._state = _State.PAYLOAD
        self._raw = bytearray([STX])
        self._payload_len = 0

    def _keep(self, byte: int) -> None:
        if len(self._raw) < _RAW_KEEP:
            self._raw.append(byte)

    def _fail(self, fault: FrameFault, detail: str) -> BadFrame:
        error = BadFrame(fault, detail, bytes(self._raw))
        self._raw = bytearray()
        return error

    def _payload_byte(self, byte: int) -> PosFrameError | None:
        if byte == ETX:
            self._state = _State.CHECKSUM
            return None
        self._payload_len += 1
        if self._payload_len > self.max_payload:
            self._state = _State.DROP
            return self._fail(FrameFault.OVERSIZED, f"payload over {self.max_payload} bytes")
        return None

    def _checksum_byte(self, byte: int) -> PosFrameError | None:
        if byte not in _HEX_DIGITS:
            self._state = _State.HUNT
            return self._fail(FrameFault.BAD_TRAILER, f"checksum byte {byte:#04x} is not hex")
        if len(self._raw) == 1 + self._payload_len + 1 + 4:  # STX payload ETX CRC
            self._state = _State.END
        return None

    def _end_byte(self, byte: int) -> Frame | PosFrameError:
        self._state = _State.HUNT
        if byte != LF:
            return self._fail(FrameFault.BAD_TRAILER, f"expected LF, got {byte:#04x}")
        raw = bytes(self._raw)
        self._raw = bytearray()
        body = raw[1 : 1 + self._payload_len]
        sent = raw[2 + self._payload_len : 6 + self._payload_len].decode("ascii")
        computed = f"{crc16_ccitt_false(body):04X}"
        if sent != computed:
            return BadFrame(FrameFault.BAD_CHECKSUM, f"got {sent}, computed {computed}", raw)
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            return BadFrame(FrameFault.BAD_UTF8, f"invalid UTF-8 at byte {exc.start}", raw)
        return Frame(payload=payload, raw=raw)
