"""A Type 3 (FeliCa) NFC tag emulated with nfcpy's own `Type3TagEmulation` over the udp driver.

A reader that opens `udp:127.0.0.1:PORT` reads this tag through nfcpy's real code. The
emulation loop follows nfcpy's `examples/tagtool.py emulate tt3`: an NDEF attribute block
(16 bytes) followed by the NDEF message, served on services 0x0009 (read/write) and 0x000B
(read only).

"Presenting" the card means: listen until a reader activates us, answer its commands for
`hold_seconds`, then stay silent for `gap_seconds`; the reader's presence check (a Polling
command) fails and it sees the card leave.
"""

import socket
import struct
import threading
import time
from typing import Annotated, Any

import ndef  # type: ignore[import-untyped]  # ndeflib ships no stubs
import nfc
import typer

DEFAULT_PMM = bytes.fromhex("01E0000000FFFF00")
NDEF_SYSTEM_CODE = bytes.fromhex("12FC")
LISTEN_TIMEOUT = 1.0  # shorter listen windows lose reads on the udp driver (DESIGN.md 8)


def tt3_memory(octets: bytes | None, min_blocks: int = 4) -> bytearray | None:
    """Tag memory as tagtool builds it: attribute block, then the NDEF data area; None = no NDEF."""
    if octets is None:
        return None
    blocks = max(min_blocks, (len(octets) + 15) // 16)
    area = bytearray(octets) + bytearray(blocks * 16 - len(octets))
    attributes = bytearray(16)
    attributes[0] = 0x10  # mapping version 1.0
    attributes[1] = 1  # nbr: blocks per read
    attributes[2] = 1  # nbw: blocks per write
    attributes[3:5] = struct.pack(">H", blocks)
    attributes[10] = 1  # rw flag: writeable
    attributes[11:14] = struct.pack(">I", len(octets))[1:]
    attributes[14:16] = struct.pack(">H", sum(attributes[:14]))
    return attributes + area


def member_ndef(member_no: str) -> bytes:
    """The NDEF message StorePulse cards carry: one Text record holding the member number."""
    return b"".join(ndef.message_encoder([ndef.TextRecord(member_no)]))


def _udp_port(device: str) -> int:
    parts = device.split(":")
    if parts[0] != "udp" or len(parts) != 3:
        raise ValueError(f"expected udp:HOST:PORT, got {device!r}")
    return int(parts[2])


class TagEmulator:
    """One emulated card on one udp port. Constructor does no I/O; `start()` opens the port."""

    def __init__(
        self,
        device: str,
        idm: bytes,
        member_no: str | None = None,
        *,
        ndef_octets: bytes | None = None,
        pmm: bytes = DEFAULT_PMM,
        hold_seconds: float = 0.3,
        gap_seconds: float = 0.4,
    ) -> None:
        if len(idm) != 8 or len(pmm) != 8:
            raise ValueError("a Type 3 tag has an 8-byte IDm and an 8-byte PMm")
        self.device = device
        self.port = _udp_port(device)
        self.idm = idm
        self.pmm = pmm
        if ndef_octets is None and member_no is not None:
            ndef_octets = member_ndef(member_no)
        self.memory = tt3_memory(ndef_octets)
        self.hold_seconds = hold_seconds
        self.gap_seconds = gap_seconds
        self.sessions = 0  # reader activations served to the end
        self.commands = 0  # reader commands answered in sessions (reads, presence checks)
        self._cond = threading.Condition()
        self._pending = 0
        self._held = False
        self._active_since: float | None = None
        self._listens = 0  # listen rounds in the current connect() call
        self._stop = threading.Event()
        self._clf: Any = None
        self._thread: threading.Thread | None = None

    # -- control -------------------------------------------------------------------------

    def start(self) -> "TagEmulator":
        self._check_port_free()
        self._clf = nfc.ContactlessFrontend(self.device)
        self._thread = threading.Thread(target=self._run, name=f"tag-{self.port}", daemon=True)
        self._thread.start()
        return self

    def present(self, count: int = 1) -> None:
        """Present the card `count` more times, each for `hold_seconds` after activation."""
        with self._cond:
            self._pending += count
            self._cond.notify_all()

    def hold(self) -> None:
        """Put the card on the reader and leave it there until `remove()`."""
        with self._cond:
            self._held = True
            self._cond.notify_all()

    def remove(self) -> None:
        with self._cond:
            self._held = False
            self._pending = 0
            self._cond.notify_all()

    def wait_sessions(self, count: int, timeout: float) -> bool:
        """Wait until `count` reader sessions were served in total."""
        with self._cond:
            return self._cond.wait_for(lambda: self.sessions >= count, timeout)

    def stop(self) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._poke()  # wakes a session blocked waiting for the next reader command
        if self._thread is not None:
            self._thread.join(LISTEN_TIMEOUT + 2.0)
            self._thread = None
        if self._clf is not None:
            self._clf.close()
            self._clf = None

    def __enter__(self) -> "TagEmulator":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the emulation loop ----------------------------------------------------------------

    def _wants_field(self) -> bool:
        return self._held or self._pending > 0

    def _run(self) -> None:
        card = {
            "on-startup": self._on_startup,
            "on-connect": self._on_connect,
            "on-release": self._on_release,
            "timeout": LISTEN_TIMEOUT,
        }
        while not self._stop.is_set():
            with self._cond:
                if not self._cond.wait_for(
                    lambda: self._stop.is_set() or self._wants_field(), timeout=0.5
                ):
                    continue
                served = self.sessions
            self._clf.connect(card=card, terminate=self._leave_field)
            if self.sessions > served:
                # Off the field: stay silent until the reader's presence check has failed. A
                # listening emulator answers polling, so re-listening at once looks like a
                # card that never left.
                self._stop.wait(self.gap_seconds)

    def _leave_field(self) -> bool:
        """nfcpy's terminate hook: called before each listen round and after each command."""
        with self._cond:
            if self._stop.is_set():
                return True
            if self._active_since is not None:
                held_for = time.monotonic() - self._active_since
                return not self._held and held_for >= self.hold_seconds
            if self._listens > 0 and not self._held and self._answered_polling():
                # A reader that only polls (e.g. one ignoring a re-tap) never sends the
                # command that activates us; answering its polls for a whole listen round
                # counts as the presentation.
                self._end_session()
                return True
            self._listens += 1
            return not self._wants_field()

    def _answered_polling(self) -> bool:
        # The udp driver counts bytes sent on the socket of the current listen round.
        return int(getattr(self._clf.device, "sent_data", 0)) > 0

    def _end_session(self) -> None:
        self._active_since = None
        self._pending = max(0, self._pending - 1)
        self.sessions += 1
        self._cond.notify_all()

    def _on_startup(self, target: Any) -> Any:
        self._listens = 0
        target.brty = "212F"
        target.sensf_res = b"\x01" + self.idm + self.pmm + NDEF_SYSTEM_CODE
        return target

    def _on_connect(self, tag: Any) -> bool:
        if self.memory is not None:
            tag.add_service(0x0009, self._read_block, self._write_block)
            tag.add_service(0x000B, self._read_block, None)
        answer = tag.process_command

        def counted(cmd: bytearray) -> Any:
            self.commands += 1
            return answer(cmd)

        tag.process_command = counted
        with self._cond:
            self._active_since = time.monotonic()
        return True

    def _on_release(self, tag: Any) -> bool:
        with self._cond:
            self._end_session()
        return True

    def _read_block(self, block: int, rb: bool, re: bool) -> bytearray | None:
        assert self.memory is not None
        if block < len(self.memory) // 16:
            return self.memory[block * 16 : block * 16 + 16]
        return None

    def _write_block(self, block: int, data: bytearray, wb: bool, we: bool) -> bool:
        assert self.memory is not None
        if block < len(self.memory) // 16:
            self.memory[block * 16 : block * 16 + 16] = data
            return True
        return False

    def _check_port_free(self) -> None:
        # nfcpy binds 0.0.0.0:PORT and, when the port is taken, silently never answers.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("0.0.0.0", self.port))
            except OSError as exc:
                raise RuntimeError(f"udp port {self.port} is taken") from exc

    def _poke(self) -> None:
        # The udp driver treats an "RFOFF" datagram as the reader switching its field off.
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.sendto(b"RFOFF", ("127.0.0.1", self.port))


def main(
    device: Annotated[str, typer.Option(help="udp:127.0.0.1:PORT")],
    idm: Annotated[str, typer.Option(help="8-byte IDm in hex")] = "01010501b00ac30b",
    member: Annotated[
        str | None, typer.Option(help="member number for the NDEF Text record")
    ] = None,
    count: Annotated[int, typer.Option(help="how many taps")] = 1,
    timeout: Annotated[float, typer.Option(help="give up after this many seconds")] = 30.0,
) -> None:
    """Tap an emulated card on a reader `count` times, then exit (1 if the reader never came)."""
    emulator = TagEmulator(device, bytes.fromhex(idm), member)
    with emulator:
        emulator.present(count)
        served = emulator.wait_sessions(count, timeout)
    typer.echo(f"served {emulator.sessions} of {count} taps")
    raise typer.Exit(0 if served else 1)


if __name__ == "__main__":
    typer.run(main)
