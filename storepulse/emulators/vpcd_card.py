"""A virtual contact card for vsmartcard's vpcd reader driver (inside pcscd).

vpcd listens on TCP (35963 for its first slot); a card is a client of that port (inside
the network namespace of the pcscd we start: `netns`, see netns.py). Every
message either way is a 2-byte big-endian length and a payload. From vpcd a 1-byte payload
is a control code (0x00 power off, 0x01 power on, 0x02 reset: no answer; 0x04 get ATR:
answer the ATR); anything longer is a command APDU, answered with response data + SW.
Connecting inserts the card, closing removes it.

The card speaks the "sp-id-v1" profile of docs/apdu-profile.md, written from that document
rather than from edge code so the reader is tested against the spec.

    python -m storepulse.emulators.vpcd_card --number 11010519491231002X --insert-for 2 \
        --netns /proc/PCSCD_PID/ns/net   # the pcscd the tests or the demo started
"""

import contextlib
import logging
import socket
import struct
import threading
import time
from types import TracebackType
from typing import Annotated, Literal, Self

import typer

from storepulse.emulators.netns import connect_in_netns

log = logging.getLogger(__name__)

Behaviour = Literal["good", "bad_sw", "garbage", "pull_mid_read"]
BEHAVIOURS: tuple[Behaviour, ...] = ("good", "bad_sw", "garbage", "pull_mid_read")

CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0x00, 0x01, 0x02, 0x04
AID = bytes.fromhex("F05350494401")
SW_OK = b"\x90\x00"
SW_FILE_NOT_FOUND = b"\x6a\x82"
SW_NOT_SELECTED = b"\x69\x85"
SW_BAD_P1P2 = b"\x6b\x00"
SW_INS_UNKNOWN = b"\x6d\x00"
SW_CLA_UNKNOWN = b"\x6e\x00"


def _atr(historical: bytes) -> bytes:
    """TS=3B direct convention, T0 says TD1 follows, TD1 offers T=1; TCK closes it."""
    body = bytes([0x80 | len(historical), 0x01]) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])


ATR = _atr(b"SPID")


class VirtualCard:
    """One card; `insert()` connects to vpcd and serves in a thread, `remove()` closes."""

    def __init__(
        self,
        number: str,
        host: str = "127.0.0.1",
        port: int = 35963,
        behaviour: Behaviour = "good",
        netns: str | None = None,  # /proc/PID/ns/net of a pcscd in its own namespace
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"behaviour must be one of {BEHAVIOURS}, not {behaviour!r}")
        self.number = number
        self.host = host
        self.port = port
        self.behaviour = behaviour
        self.netns = netns
        self.apdus_seen = 0  # command APDUs answered or refused (control codes excluded)
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._selected = False

    def insert(self) -> Self:
        if self._sock is not None:
            raise RuntimeError("card is already inserted")
        if self.netns is None:
            sock = socket.create_connection((self.host, self.port), timeout=5.0)
        else:
            sock = connect_in_netns(self.netns, self.host, self.port)
        sock.settimeout(None)
        # Without these, Nagle + delayed ACK cost ~40 ms per APDU on loopback.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _quickack(sock)
        self._sock = sock
        self._selected = False
        self._thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(2.0)
            self._thread = None

    @property
    def inserted(self) -> bool:
        return self._sock is not None and self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Self:
        return self.insert()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def _serve(self, sock: socket.socket) -> None:
        try:
            while True:
                message = _recv_message(sock)
                if message is None:
                    return
                answer = self.answer(message)
                if answer is None:
                    if len(message) > 1:  # pulled mid-read: vanish without answering
                        sock.shutdown(socket.SHUT_RDWR)
                        return
                    continue
                sock.sendall(struct.pack(">H", len(answer)) + answer)
        except OSError:
            return  # removed (closed under us) or vpcd went away

    def answer(self, message: bytes) -> bytes | None:
        """The card's reply to one vpcd message; None means no reply is sent."""
        if len(message) == 1:
            if message[0] == CTRL_ATR:
                return ATR
            if message[0] in (CTRL_OFF, CTRL_RESET):
                self._selected = False
            return None
        self.apdus_seen += 1
        return self._apdu(message)

    def _apdu(self, apdu: bytes) -> bytes | None:
        if len(apdu) < 4:
            return SW_INS_UNKNOWN
        cla, ins, p1, p2 = apdu[:4]
        if cla != 0x00:
            return SW_CLA_UNKNOWN
        if ins == 0xA4:
            return self._select(p1, apdu[4:])
        if ins == 0xB0:
            return self._read_binary(p1, p2, apdu[4:])
        return SW_INS_UNKNOWN

    def _select(self, p1: int, rest: bytes) -> bytes:
        aid = rest[1 : 1 + rest[0]] if rest else b""
        if p1 != 0x04 or aid != AID or self.behaviour == "bad_sw":
            self._selected = False
            return SW_FILE_NOT_FOUND
        self._selected = True
        return SW_OK

    def _read_binary(self, p1: int, p2: int, rest: bytes) -> bytes | None:
        if not self._selected:
            return SW_NOT_SELECTED
        if self.behaviour == "pull_mid_read":
            return None
        data = self.number.encode("ascii")
        if self.behaviour == "garbage":
            data = bytes((0xA5 ^ i) & 0xFF for i in range(len(data)))
        offset = (p1 << 8) | p2
        if offset > len(data):
            return SW_BAD_P1P2
        data = data[offset:]
        le = rest[0] if len(rest) == 1 else 0
        if le not in (0, len(data)):  # ISO 7816-4: wrong Le, here is the right one
            return bytes([0x6C, len(data) & 0xFF])
        return data + SW_OK


def _quickack(sock: socket.socket) -> None:
    quickack = getattr(socket, "TCP_QUICKACK", None)  # Linux only
    if quickack is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, quickack, 1)


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    # Linux clears QUICKACK after a while; set it again after every read.
    _quickack(sock)
    return bytes(chunks)


def _recv_message(sock: socket.socket) -> bytes | None:
    header = _recv_exact(sock, 2)
    if header is None:
        return None
    (size,) = struct.unpack(">H", header)
    return _recv_exact(sock, size) if size else b""


def main(
    number: Annotated[str, typer.Option(help="card number the card returns")],
    insert_for: Annotated[float, typer.Option(help="seconds to stay inserted")] = 2.0,
    behaviour: Annotated[str, typer.Option(help="good, bad_sw, garbage, pull_mid_read")] = "good",
    host: Annotated[str, typer.Option(help="vpcd host")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="vpcd port (35963: its first slot)")] = 35963,
    netns: Annotated[
        str | None,
        typer.Option(help="the pcscd's network namespace, /proc/PID/ns/net (ours have one)"),
    ] = None,
) -> None:
    """Insert a virtual card into vpcd for a while, then remove it."""
    if behaviour not in BEHAVIOURS:
        raise typer.BadParameter(f"must be one of {', '.join(BEHAVIOURS)}", param_hint="behaviour")
    card = VirtualCard(number, host=host, port=port, behaviour=behaviour, netns=netns)
    with card:
        typer.echo(f"card inserted on {host}:{port} ({behaviour}) for {insert_for}s")
        time.sleep(insert_for)
    typer.echo(f"card removed after {card.apdus_seen} APDUs")


if __name__ == "__main__":
    typer.run(main)
