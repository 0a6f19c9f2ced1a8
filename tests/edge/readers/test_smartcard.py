"""SmartCardReader through real pyscard, a real pcscd and vpcd, with our virtual card."""

import asyncio
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator

import pytest
from pydantic import ValidationError

from edge.errors import ConfigError
from edge.readers.base import Observation
from edge.readers.smartcard import SmartCardReader, SmartCardReaderConfig
from storepulse.emulators.vpcd_card import Behaviour
from tests.support.pcscd import VPCD_READER, Pcscd, pcscd, wait_card_state
from wire.events import IdCardRead, ReaderStatus
from wire.identity import IdentifierKind, keyed_hash

__all__ = ["pcscd"]  # the session fixture, imported so pytest finds it

KEY = b"tenant-key-for-tests-0123456789ab"
NUMBER = "11010519491231002X"  # valid GB 11643 check digit
OTHER = "440524188001010014"


class Harness:
    """Runs a reader's blocking loop in a thread and records what it emits."""

    def __init__(self, config: SmartCardReaderConfig, pcscd: Pcscd) -> None:
        self.pcscd = pcscd  # where a virtual card is inserted
        self.rejects: list[tuple[str, bytes]] = []
        self.reader = SmartCardReader(config, KEY, on_reject=self._on_reject)
        self.observations: list[Observation] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self.reader.run_blocking, args=(self._emit, self._stop)
        )

    def _emit(self, observation: Observation) -> None:
        with self._changed:
            self.observations.append(observation)
            self._changed.notify_all()

    def _on_reject(self, reason: str, raw: bytes) -> None:
        with self._changed:
            self.rejects.append((reason, raw))
            self._changed.notify_all()

    def start(self) -> "Harness":
        self._thread.start()
        return self

    def wait(self, done: Callable[[], bool], timeout: float = 5.0) -> None:
        with self._changed:
            assert self._changed.wait_for(done, timeout), "timed out waiting for the reader"

    def reads(self) -> list[IdCardRead]:
        return [o.body for o in self.observations if isinstance(o.body, IdCardRead)]

    def statuses(self) -> list[ReaderStatus]:
        return [o.body for o in self.observations if isinstance(o.body, ReaderStatus)]

    def stop(self) -> float:
        started = time.monotonic()
        self._stop.set()
        self._thread.join(5.0)
        assert not self._thread.is_alive()
        return time.monotonic() - started


@pytest.fixture
def harness(pcscd: Pcscd) -> Iterator[Harness]:
    wait_card_state(present=False)  # a card left by an earlier test must be gone first
    running = Harness(SmartCardReaderConfig(reader_match=VPCD_READER), pcscd).start()
    running.wait(lambda: running.reader.health.state == "up")
    yield running
    running.stop()


def swipe(harness: Harness, number: str, behaviour: Behaviour = "good") -> None:
    """Insert a card, wait until the reader has dealt with it, remove it, wait for empty."""
    seen = len(harness.reads()) + len(harness.rejects)
    with harness.pcscd.card(number, behaviour):
        harness.wait(lambda: len(harness.reads()) + len(harness.rejects) > seen)
    wait_card_state(present=False)


def test_good_card_emits_one_keyed_hash_and_never_the_number(
    harness: Harness, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    swipe(harness, NUMBER)
    time.sleep(0.5)  # a second observation would come from a later poll; give it the chance

    assert harness.reads() == [
        IdCardRead(
            card_hash=keyed_hash(KEY, IdentifierKind.ID_HASH, NUMBER),
            profile="sp-id-v1",
            reader="idcard0",
        )
    ]
    assert harness.rejects == []
    assert harness.reader.health.errors == 0
    out, err = capfd.readouterr()
    for text in (caplog.text, out, err, repr(harness.observations), repr(harness.reader.health)):
        assert NUMBER not in text
    assert "read a card" in caplog.text


def test_reinserted_card_is_read_again(harness: Harness) -> None:
    swipe(harness, NUMBER)
    swipe(harness, OTHER)
    swipe(harness, NUMBER)

    hashes = [read.card_hash for read in harness.reads()]
    first, other = (keyed_hash(KEY, IdentifierKind.ID_HASH, n) for n in (NUMBER, OTHER))
    assert hashes == [first, other, first]


@pytest.mark.parametrize(
    ("behaviour", "reason", "raw"),
    [
        ("bad_sw", "SELECT F05350494401 answered SW 6A82", b"\x6a\x82"),
        ("garbage", "18-byte answer is not ASCII", b""),
        ("pull_mid_read", "no status word (card pulled?)", b""),
    ],
)
def test_bad_card_is_rejected_and_the_reader_keeps_going(
    harness: Harness,
    caplog: pytest.LogCaptureFixture,
    behaviour: Behaviour,
    reason: str,
    raw: bytes,
) -> None:
    caplog.set_level(logging.DEBUG)
    swipe(harness, NUMBER, behaviour)

    assert harness.reads() == []
    assert len(harness.rejects) == 1
    assert reason in harness.rejects[0][0]
    assert harness.rejects[0][1] == raw
    assert harness.reader.health.errors == 1
    assert harness.reader.health.state == "up"
    assert "rejected a card" in caplog.text
    assert NUMBER not in caplog.text

    swipe(harness, NUMBER)
    assert [read.card_hash for read in harness.reads()] == [
        keyed_hash(KEY, IdentifierKind.ID_HASH, NUMBER)
    ]


def test_wrong_check_digit_is_garbage(harness: Harness) -> None:
    swipe(harness, NUMBER[:-1] + "1")
    assert harness.reads() == []
    assert harness.rejects == [("number fails its GB 11643 check digit", b"")]


def test_observations_stream_and_prompt_stop(pcscd: Pcscd) -> None:
    """The async interface the gateway uses: one card through it, then closing is quick."""
    wait_card_state(present=False)
    reader = SmartCardReader(SmartCardReaderConfig(reader_match=VPCD_READER), KEY)

    async def scenario() -> tuple[list[Observation], float]:
        stream = reader.observations()
        seen = [await asyncio.wait_for(anext(stream), 5.0)]
        with pcscd.card(NUMBER):
            seen.append(await asyncio.wait_for(anext(stream), 5.0))
        started = time.monotonic()
        await stream.aclose()  # type: ignore[attr-defined]
        return seen, time.monotonic() - started

    seen, stop_seconds = asyncio.run(scenario())
    wait_card_state(present=False)
    assert [type(o.body) for o in seen] == [ReaderStatus, IdCardRead]
    assert seen[0].body == ReaderStatus(
        reader="idcard0", kind="smartcard", state="up", detail=VPCD_READER
    )
    assert stop_seconds < 1.0


def test_missing_reader_reports_down_and_stops_promptly(pcscd: Pcscd) -> None:
    running = Harness(SmartCardReaderConfig(reader_match="No Such Reader"), pcscd).start()
    running.wait(lambda: bool(running.statuses()))

    assert running.statuses() == [
        ReaderStatus(
            reader="idcard0",
            kind="smartcard",
            state="down",
            detail="no PC/SC reader matching 'No Such Reader'",
        )
    ]
    assert running.reader.health.state == "down"
    assert running.stop() < 1.0


def test_pcscd_going_away_reports_down_then_up_again(pcscd: Pcscd) -> None:
    wait_card_state(present=False)
    running = Harness(SmartCardReaderConfig(reader_match=VPCD_READER), pcscd).start()
    try:
        running.wait(lambda: running.reader.health.state == "up")
        pcscd.stop()
        running.wait(lambda: running.reader.health.state == "down")
        pcscd.ensure()
        running.wait(lambda: [s.state for s in running.statuses()] == ["up", "down", "up"])
        swipe(running, NUMBER)
    finally:
        running.stop()
        pcscd.ensure()  # leave a daemon for later tests even when this one failed
    down = running.statuses()[1]
    assert down.state == "down"
    assert down.detail.startswith("status change failed: ")  # pyscard's text + the PC/SC code
    assert len(running.reads()) == 1


def test_emulator_command_line_inserts_a_card(harness: Harness) -> None:
    command = [sys.executable, "-m", "storepulse.emulators.vpcd_card", "--number", NUMBER]
    command += ["--port", str(harness.pcscd.vpcd_port), "--netns", harness.pcscd.netns]
    result = subprocess.run(
        [*command, "--insert-for", "1.5"], capture_output=True, text=True, timeout=20
    )
    assert result.returncode == 0, result.stderr
    harness.wait(lambda: len(harness.reads()) == 1)
    assert "card removed after 2 APDUs" in result.stdout


def test_config_rejects_unknown_fields_profiles_and_empty_keys() -> None:
    with pytest.raises(ValidationError, match="unknown APDU profile 'sp-id-v9'"):
        SmartCardReaderConfig(profile="sp-id-v9")
    with pytest.raises(ValidationError, match="extra"):
        SmartCardReaderConfig(reader="x")  # type: ignore[call-arg]
    with pytest.raises(ConfigError):
        SmartCardReader(SmartCardReaderConfig(), b"")
