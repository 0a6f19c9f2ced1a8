"""The NFC adapter against real nfcpy on both sides: our reader reads a Type 3 tag that nfcpy's
own `Type3TagEmulation` serves over the udp driver, each test on its own port."""

import asyncio
import errno
import itertools
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import ndef
import nfc
import nfc.clf
import nfc.tag.tt3
import pytest
from pydantic import ValidationError

from edge.errors import CardReadError
from edge.readers.base import Observation
from edge.readers.nfc import (
    Backoff,
    NfcReader,
    NfcReaderConfig,
    card_uid,
    member_no_from_ndef,
)
from storepulse.emulators.nfc_tag import TagEmulator, member_ndef
from wire.events import CardTapped, ReaderStatus

IDM = bytes.fromhex("01010501b00ac30b")
UID = "01010501B00AC30B"
READ_TIMEOUT = 8.0  # a read takes ~1 s (the reader's 1 s sense window on udp)


def free_udp_port() -> int:
    # nfcpy's udp listener binds 0.0.0.0, so probe the same way.
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("0.0.0.0", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_until(condition: Callable[[], bool], timeout: float = READ_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


class Running:
    """A reader's `run_blocking` on a thread, collecting what it emits."""

    def __init__(self, reader: NfcReader) -> None:
        self.reader = reader
        self.seen: list[Observation] = []
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=reader.run_blocking, args=(self.seen.append, self.stop_event), daemon=True
        )
        self.thread.start()

    def taps(self) -> list[CardTapped]:
        return [o.body for o in self.seen if isinstance(o.body, CardTapped)]

    def states(self) -> list[str]:
        return [o.body.state for o in self.seen if isinstance(o.body, ReaderStatus)]

    def stop(self) -> float:
        started = time.monotonic()
        self.stop_event.set()
        self.thread.join(10)
        assert not self.thread.is_alive()
        return time.monotonic() - started


@pytest.fixture
def device() -> str:
    return f"udp:127.0.0.1:{free_udp_port()}"


@pytest.fixture
def run_reader() -> Iterator[Callable[..., Running]]:
    running: list[Running] = []

    def start(device: str, **config: Any) -> Running:
        on_reject = config.pop("on_reject", None)
        reader = NfcReader(NfcReaderConfig(device=device, **config), on_reject)
        running.append(Running(reader))
        return running[-1]

    yield start
    for r in running:
        r.stop()


@pytest.fixture
def emulator() -> Iterator[Callable[..., TagEmulator]]:
    started: list[TagEmulator] = []

    def start(device: str, member_no: str | None = None, **kwargs: Any) -> TagEmulator:
        started.append(TagEmulator(device, IDM, member_no, **kwargs).start())
        return started[-1]

    yield start
    for e in started:
        e.stop()


# -- end to end over udp ----------------------------------------------------------------------


def test_tap_reads_uid_technology_and_member_number(device: str, run_reader, emulator) -> None:
    running = run_reader(device)
    tag = emulator(device, "  M1001 ")
    tag.present()

    assert wait_until(lambda: len(running.taps()) == 1)
    tap = running.taps()[0]
    assert tap == CardTapped(uid=UID, technology="Type3Tag", reader="nfc0", member_no="M1001")
    assert running.states()[0] == "up"
    assert running.reader.health.state == "up"
    assert running.reader.health.errors == 0


def test_tag_without_ndef_taps_without_member_number(device: str, run_reader, emulator) -> None:
    running = run_reader(device)
    emulator(device, None).present()

    assert wait_until(lambda: len(running.taps()) == 1)
    assert running.taps()[0].member_no is None
    assert running.reader.stats.bad_ndef == 0


def test_garbage_ndef_still_taps_and_is_counted(device: str, run_reader, emulator) -> None:
    running = run_reader(device)
    emulator(device, ndef_octets=b"\xff\x01garbage-not-ndef").present()

    assert wait_until(lambda: len(running.taps()) == 1)
    assert running.taps()[0].uid == UID
    assert running.taps()[0].member_no is None
    assert running.reader.stats.bad_ndef == 1
    assert running.reader.health.errors == 1


def test_a_card_held_on_the_reader_is_one_tap(device: str, run_reader, emulator) -> None:
    running = run_reader(device, debounce_seconds=0)
    tag = emulator(device, "M1001")
    tag.hold()

    assert wait_until(lambda: len(running.taps()) == 1)
    polled = tag.commands
    # The reader keeps checking presence (~every 0.12 s); let it do so many times.
    assert wait_until(lambda: tag.commands >= polled + 10)
    assert len(running.taps()) == 1
    assert tag.sessions == 0  # still the same activation

    tag.remove()
    assert tag.wait_sessions(1, READ_TIMEOUT)
    tag.present()  # debounce is off: a real second tap counts
    assert wait_until(lambda: len(running.taps()) == 2)


def test_retap_within_debounce_is_ignored(device: str, run_reader, emulator) -> None:
    running = run_reader(device, debounce_seconds=30)
    tag = emulator(device, "M1001")
    tag.present(2)

    assert tag.wait_sessions(2, 2 * READ_TIMEOUT)
    assert wait_until(lambda: running.reader.stats.debounced == 1)
    assert len(running.taps()) == 1


def test_retap_after_debounce_window_counts(device: str, run_reader, emulator) -> None:
    running = run_reader(device, debounce_seconds=0.5)
    tag = emulator(device, "M1001", gap_seconds=1.0)  # off the field twice the window
    tag.present(2)

    assert wait_until(lambda: len(running.taps()) == 2, 2 * READ_TIMEOUT)
    assert running.reader.stats.debounced == 0


def test_reader_keeps_polling_until_a_late_tag_answers(device: str, run_reader, emulator) -> None:
    running = run_reader(device)
    # Nothing listens on the port: the reader senses into silence, round after round.
    assert wait_until(lambda: running.reader.stats.polls >= 3)
    assert running.taps() == []
    assert running.reader.health.state == "up"

    emulator(device, "M1001").present()
    assert wait_until(lambda: len(running.taps()) == 1)


@pytest.mark.parametrize("card", ["absent", "held"])
def test_stop_returns_promptly(device: str, run_reader, emulator, card: str) -> None:
    running = run_reader(device)
    if card == "held":
        emulator(device, "M1001").hold()
        assert wait_until(lambda: len(running.taps()) == 1)
    else:
        assert wait_until(lambda: running.reader.stats.polls >= 1)
    assert running.stop() < 3.0
    assert running.reader.health.state == "down"


def test_observations_stream_through_the_async_interface(device: str, emulator) -> None:
    reader = NfcReader(NfcReaderConfig(device=device))

    async def first_tap() -> tuple[list[Observation], float]:
        seen: list[Observation] = []
        stream = reader.observations()
        async for observation in stream:
            seen.append(observation)
            if isinstance(observation.body, ReaderStatus):
                emulator(device, "M1001").present()
            if isinstance(observation.body, CardTapped):
                break
        started = time.monotonic()
        await stream.aclose()  # sets stop and joins the reader thread
        return seen, time.monotonic() - started

    seen, close_took = asyncio.run(asyncio.wait_for(first_tap(), 2 * READ_TIMEOUT))
    assert [type(o.body) for o in seen] == [ReaderStatus, CardTapped]
    assert seen[1].occurred_at.tzinfo is not None
    assert close_took < 3.0


# -- device trouble ---------------------------------------------------------------------------


def test_unopenable_device_reports_down_and_backs_off(run_reader) -> None:
    attempts: list[float] = []

    def open_frontend(path: str) -> Any:
        attempts.append(time.monotonic())
        return nfc.ContactlessFrontend(path)  # the real thing: raises ENODEV

    reader = NfcReader(
        NfcReaderConfig(
            device="tty:sp_no_such_device:pn532", reconnect_initial=0.05, reconnect_max=0.2
        ),
        open_frontend=open_frontend,
    )
    running = Running(reader)
    try:
        assert wait_until(lambda: len(attempts) >= 6)
        assert running.thread.is_alive()
    finally:
        assert running.stop() < 1.0
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert gaps[0] == pytest.approx(0.05, abs=0.04)
    assert gaps[1] == pytest.approx(0.10, abs=0.04)
    assert all(g == pytest.approx(0.2, abs=0.05) for g in gaps[2:5])  # capped
    assert running.states() == ["down"]  # reported once, not per retry
    assert reader.health.state == "down"
    assert "ENODEV" in running.seen[0].body.detail  # type: ignore[union-attr]
    assert reader.stats.open_failures >= 6


def test_device_that_comes_back_is_reopened_and_read(device: str, run_reader, emulator) -> None:
    frontends: list[Any] = []

    def open_frontend(path: str) -> Any:
        if len(frontends) < 2:  # unplugged for the first two tries, as nfcpy reports it
            frontends.append(None)
            raise OSError(errno.ENODEV, "No such device")
        frontends.append(nfc.ContactlessFrontend(path))
        return frontends[-1]

    reader = NfcReader(
        NfcReaderConfig(device=device, reconnect_initial=0.05), open_frontend=open_frontend
    )
    running = Running(reader)
    try:
        assert wait_until(lambda: reader.health.state == "up")
        emulator(device, "M1001").present()
        assert wait_until(lambda: len(running.taps()) == 1)
    finally:
        running.stop()
    assert running.states() == ["down", "up"]
    assert len(frontends) == 3


def test_device_vanishing_mid_run_is_reopened(device: str, emulator) -> None:
    frontends: list[Any] = []

    def open_frontend(path: str) -> Any:
        frontends.append(nfc.ContactlessFrontend(path))
        return frontends[-1]

    reader = NfcReader(
        NfcReaderConfig(device=device, reconnect_initial=0.05), open_frontend=open_frontend
    )
    running = Running(reader)
    try:
        assert wait_until(lambda: reader.stats.polls >= 1)
        frontends[0].device.socket.close()  # the driver's transport dies under nfcpy
        assert wait_until(lambda: len(frontends) == 2)
        assert wait_until(lambda: reader.health.state == "up")
        emulator(device, "M1001").present()
        assert wait_until(lambda: len(running.taps()) == 1)
    finally:
        running.stop()
    assert running.states() == ["up", "down", "up"]


# -- what is read from one tag ----------------------------------------------------------------


def test_bad_uid_is_rejected_without_a_tap(device: str) -> None:
    rejected: list[tuple[str, bytes]] = []
    reader = NfcReader(
        NfcReaderConfig(device=device), lambda reason, raw: rejected.append((reason, raw))
    )
    seen: list[Observation] = []
    reader._emit = seen.append
    clf = nfc.ContactlessFrontend(device)
    try:  # a real nfcpy Type 3 tag whose IDm came back 2 bytes long
        tag = nfc.tag.tt3.Type3Tag(clf, nfc.clf.RemoteTarget("212F", sensf_res=b"\x01\x02\x03"))
        assert reader.handle_tag(tag) is True  # still wait for it to leave
    finally:
        clf.close()
    assert rejected == [("bad uid", b"\x02\x03")]
    assert seen == []
    assert reader.health.errors == 1
    assert reader.stats.bad_uid == 1


@pytest.mark.parametrize("size", [4, 7, 8, 10])
def test_card_uid_accepts_real_lengths(size: int) -> None:
    assert card_uid(bytes(range(1, size + 1))) == bytes(range(1, size + 1)).hex().upper()


@pytest.mark.parametrize("size", [0, 3, 11, 32])
def test_card_uid_refuses_other_lengths(size: int) -> None:
    with pytest.raises(CardReadError):
        card_uid(bytes(size))


def _message(*records: Any) -> bytes:
    return b"".join(ndef.message_encoder(list(records)))


@pytest.mark.parametrize(
    ("octets", "expected"),
    [
        (member_ndef("M1001"), "M1001"),
        (_message(ndef.TextRecord(" M 7 \n")), "M 7"),
        (_message(ndef.UriRecord("https://x.example"), ndef.TextRecord("M2")), "M2"),
        (_message(ndef.TextRecord("M3"), ndef.TextRecord("M4")), "M3"),
        (_message(ndef.TextRecord("   ")), None),
        (_message(ndef.UriRecord("https://x.example")), None),
        (b"", None),
    ],
)
def test_member_number_is_the_first_text_record(octets: bytes, expected: str | None) -> None:
    assert member_no_from_ndef(octets) == expected


@pytest.mark.parametrize(
    "octets",
    [
        b"\xff\x01garbage",
        member_ndef("M1001")[:-3],  # truncated payload
        _message(ndef.TextRecord("M" * 65)),  # longer than any member number
    ],
)
def test_member_number_refuses_garbage(octets: bytes) -> None:
    with pytest.raises(CardReadError):
        member_no_from_ndef(octets)


# -- config and backoff -----------------------------------------------------------------------


def test_config_rejects_unknown_fields_and_bad_devices() -> None:
    with pytest.raises(ValidationError, match="extra"):
        NfcReaderConfig(device="usb", port=1)  # type: ignore[call-arg]
    with pytest.raises(ValidationError, match="device"):
        NfcReaderConfig(device="/dev/ttyUSB0")
    with pytest.raises(ValidationError, match="reconnect_max"):
        NfcReaderConfig(device="usb", reconnect_initial=5, reconnect_max=1)


def test_udp_senses_only_type_f_by_default() -> None:
    assert NfcReaderConfig(device="udp:127.0.0.1:1").sense_targets() == ["212F"]
    assert NfcReaderConfig(device="usb").sense_targets() == ["106A", "106B", "212F"]
    assert NfcReaderConfig(device="usb", targets=("106A",)).sense_targets() == ["106A"]


def test_backoff_doubles_up_to_the_cap_and_resets() -> None:
    backoff = Backoff(0.5, 3.0)
    assert [backoff.next() for _ in range(5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    backoff.reset()
    assert backoff.next() == 0.5
