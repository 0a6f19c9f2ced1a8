"""A POS terminal on a serial line (docs/pos-protocol.md), for the demo and the tests.

It writes frames the way a till would and reads the gateway's ACK/NAK. Framing and CRC are
written here again on purpose, from the spec, so the gateway's decoder is checked against
an independent encoder rather than against itself.

    python -m storepulse.emulators.pos_terminal --port /dev/pts/5 \\
        --checkout R123 --item '6901234567011*2@1850:阿莫西林胶囊 0.25g*24' \\
        --member card_uid:04A1B2C3 --staff S7
"""

import argparse
import os
import select
import sys
import tty
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol, Self
from urllib.parse import quote

import serial

STX, ETX, LF = b"\x02", b"\x03", b"\n"
ACK, NAK = b"\x06", b"\x15"


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def frame(payload: str) -> bytes:
    body = payload.encode("utf-8")
    return STX + body + ETX + f"{crc16_ccitt_false(body):04X}".encode() + LF


def _enc(value: str) -> str:
    # encode only what the format reserves; keep the rest readable on a line analyser
    return "".join(quote(c, safe="") if c in "%|*@:=" or ord(c) < 0x20 else c for c in value)


def _enc_member(member: str) -> str:
    kind, _, value = member.partition(":")
    return f"{_enc(kind)}:{_enc(value)}"


@dataclass(frozen=True)
class SaleLine:
    sku: str
    qty: int
    unit_price: int  # minor units
    name: str = ""

    def encoded(self) -> str:
        return f"{_enc(self.sku)}*{self.qty}@{self.unit_price}:{_enc(self.name)}"

    @classmethod
    def parse(cls, text: str) -> "SaleLine":
        """`SKU*QTY@PRICE[:NAME]` as typed on the command line."""
        sku, _, rest = text.partition("*")
        qty, _, rest = rest.partition("@")
        price, _, name = rest.partition(":")
        return cls(sku=sku, qty=int(qty), unit_price=int(price), name=name)


def checkout_record(
    receipt_no: str,
    items: Sequence[SaleLine],
    *,
    total: int | None = None,
    member: str | None = None,
    staff: str | None = None,
    currency: str = "CNY",
    terminal: str | None = None,
) -> str:
    """An sp-text-v1 checkout; `total` defaults to the sum of the lines."""
    if total is None:
        total = sum(line.qty * line.unit_price for line in items)
    parts = ["CHK", f"rcpt={_enc(receipt_no)}"]
    parts += [f"mbr={_enc_member(member)}"] if member else []
    parts += [f"staff={_enc(staff)}"] if staff else []
    parts += [f"term={_enc(terminal)}"] if terminal else []
    parts += [f"cur={currency}", f"total={total}"]
    parts += [f"item={line.encoded()}" for line in items]
    return "|".join(parts)


def service_record(
    service_type: str, *, member: str | None = None, staff: str | None = None, note: str = ""
) -> str:
    parts = ["SVC", f"type={_enc(service_type)}"]
    parts += [f"mbr={_enc_member(member)}"] if member else []
    parts += [f"staff={_enc(staff)}"] if staff else []
    parts += [f"note={_enc(note)}"] if note else []
    return "|".join(parts)


class _Link(Protocol):
    def read(self, size: int, timeout: float) -> bytes: ...
    def write(self, data: bytes) -> None: ...
    def close(self) -> None: ...


class _SerialLink:
    def __init__(self, port: Any) -> None:
        self._port = port

    def read(self, size: int, timeout: float) -> bytes:
        self._port.timeout = timeout
        data: bytes = self._port.read(size)
        return data

    def write(self, data: bytes) -> None:
        self._port.write(data)
        self._port.flush()

    def close(self) -> None:
        self._port.close()


class _PtyLink:
    """The master side of a pty we made; the gateway opens the slave's path."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)  # else the line discipline eats 0x03 as ^C
        self.path = os.ttyname(self.slave)

    def read(self, size: int, timeout: float) -> bytes:
        ready, _, _ = select.select([self.master], [], [], timeout)
        return os.read(self.master, size) if ready else b""

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


class PosTerminal:
    """`PosTerminal(port)` drives a device path or pyserial URL; `PosTerminal()` makes a pty
    whose `device_path` the gateway opens. Open the gateway first: opening a port discards
    what was written before."""

    def __init__(
        self, port: str | None = None, *, baudrate: int = 9600, answer_timeout_s: float = 2.0
    ) -> None:
        self.port = port
        self.baudrate = baudrate
        self.answer_timeout_s = answer_timeout_s
        self.device_path: str | None = port
        self._link: _Link | None = None

    def start(self) -> Self:
        if self.port is None:
            pty_link = _PtyLink()
            self.device_path = pty_link.path
            self._link = pty_link
        else:
            self._link = _SerialLink(serial.serial_for_url(self.port, baudrate=self.baudrate))
        return self

    def stop(self) -> None:
        if self._link is not None:
            self._link.close()
            self._link = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def link(self) -> _Link:
        if self._link is None:
            raise RuntimeError("PosTerminal is not started")
        return self._link

    def send_raw(self, data: bytes) -> None:
        self.link.write(data)

    def read_answer(self, timeout: float | None = None) -> bytes | None:
        """The next ACK or NAK from the gateway, or None if none came in time."""
        data = self.link.read(1, self.answer_timeout_s if timeout is None else timeout)
        return data or None

    def send_frame(self, payload: str) -> bytes | None:
        self.send_raw(frame(payload))
        return self.read_answer()

    def send_checkout(
        self, receipt_no: str, items: Sequence[SaleLine], **fields: Any
    ) -> bytes | None:
        return self.send_frame(checkout_record(receipt_no, items, **fields))

    def send_service(self, service_type: str, **fields: Any) -> bytes | None:
        return self.send_frame(service_record(service_type, **fields))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="pos_terminal", description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--port", help="device path or pyserial URL of the line to the gateway")
    where.add_argument("--pty", action="store_true", help="make a pty, print its path, wait")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--checkout", metavar="RECEIPT_NO")
    what.add_argument("--service", metavar="TYPE")
    what.add_argument("--raw", metavar="HEX", help="send these bytes as they are")
    parser.add_argument("--item", action="append", default=[], help="SKU*QTY@PRICE[:NAME]")
    parser.add_argument("--total", type=int, help="minor units; default: sum of the items")
    parser.add_argument("--currency", default="CNY")
    parser.add_argument("--member", help="kind:value, e.g. card_uid:04A1B2C3 or phone:138...")
    parser.add_argument("--staff")
    parser.add_argument("--note", default="")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    with PosTerminal(args.port) as terminal:
        if args.pty:
            print(f"gateway port: {terminal.device_path}; open it, then press Enter", flush=True)
            sys.stdin.readline()
        if args.raw:
            terminal.send_raw(bytes.fromhex(args.raw))
            answer = terminal.read_answer()
        elif args.checkout:
            items = [SaleLine.parse(text) for text in args.item]
            answer = terminal.send_checkout(
                args.checkout,
                items,
                total=args.total,
                member=args.member,
                staff=args.staff,
                currency=args.currency,
            )
        else:
            answer = terminal.send_service(
                args.service, member=args.member, staff=args.staff, note=args.note
            )
    print({ACK: "ACK", NAK: "NAK"}.get(answer or b"", f"no answer ({answer!r})"))
    return 0 if answer == ACK else 1


if __name__ == "__main__":
    raise SystemExit(main())
