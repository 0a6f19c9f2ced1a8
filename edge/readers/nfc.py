"""NFC reader adapter on nfcpy: one `CardTapped` per card presence, health and reconnects.

nfcpy's `ContactlessFrontend.connect(rdwr=...)` senses, activates the tag, calls our
on-connect, then (because on-connect returns True) polls `tag.is_present` until the card
leaves, so a card resting on the reader is read exactly once. `connect` swallows the
device's IOError and returns False: we take that as "the device went away", close it and
reopen with exponential backoff.
"""

import errno
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import ndef  # type: ignore[import-untyped]  # ndeflib ships no stubs
import nfc
import nfc.clf
import nfc.tag
import structlog
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from edge.errors import CardReadError
from edge.readers.base import Emit, Observation, ReaderStateName, ThreadedReader
from wire.codec import error_message
from wire.events import CardTapped, MemberNo, ReaderStatus
from wire.identity import normalise_uid
from wire.limits import fitted

log = structlog.get_logger(__name__)

Target = Literal["106A", "106B", "212F", "424F"]
OnReject = Callable[[str, bytes], None]
FrontendFactory = Callable[[str], Any]

UID_LENGTHS = range(4, 11)  # bytes: 4/7/10-byte NFC-A UIDs, 8-byte FeliCa IDm, 4-byte NFC-B
MAX_MEMBER_NO = 64
_MEMBER_NO: TypeAdapter[str] = TypeAdapter(MemberNo)
POLL_GAP = 0.02  # between sense rounds: keeps a real reader from spinning, stop stays prompt


class NfcReaderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="nfc0", min_length=1, max_length=200)
    device: str = Field(
        pattern=r"^(usb|tty|com|udp)(:[^:]*){0,2}$",
        description="nfcpy device path: usb[:vid[:pid]], usb[:bus[:dev]], tty:PORT:DRIVER, "
        "com:PORT:DRIVER, udp[:HOST][:PORT]",
    )
    debounce_seconds: float = Field(default=2.0, ge=0)
    reconnect_initial: float = Field(default=0.5, gt=0)
    reconnect_max: float = Field(default=30.0, gt=0)
    targets: tuple[Target, ...] | None = Field(
        default=None,
        min_length=1,
        description="bit rates to sense; default 212F only on udp (each costs a 1 s wait "
        "there), else 106A, 106B, 212F",
    )

    @model_validator(mode="after")
    def _backoff_bounds(self) -> "NfcReaderConfig":
        if self.reconnect_max < self.reconnect_initial:
            raise ValueError("reconnect_max must be >= reconnect_initial")
        return self

    def sense_targets(self) -> list[str]:
        if self.targets is not None:
            return list(self.targets)
        return ["212F"] if self.device.startswith("udp") else ["106A", "106B", "212F"]


@dataclass
class NfcStats:
    taps: int = 0  # CardTapped emitted
    debounced: int = 0  # re-taps ignored within debounce_seconds
    bad_uid: int = 0
    bad_ndef: int = 0
    open_failures: int = 0
    device_failures: int = 0  # connect() gave up on an open device
    polls: int = 0  # sense rounds and presence checks


def card_uid(identifier: bytes) -> str:
    """The wire form of a tag UID; raises CardReadError for lengths no real tag has."""
    if len(identifier) not in UID_LENGTHS:
        raise CardReadError(f"uid of {len(identifier)} bytes, expected 4..10")
    return normalise_uid(bytes(identifier))


def member_no_from_ndef(octets: bytes) -> str | None:
    """The member number convention: the first NDEF Text record's text, stripped.

    No Text record (or blank text) is None; undecodable NDEF or an over-long text raises.
    """
    try:
        records = list(ndef.message_decoder(octets, errors="relax"))
    except (ndef.DecodeError, ValueError, struct.error) as exc:
        raise CardReadError(f"ndef does not decode: {exc}") from exc
    for record in records:
        if isinstance(record, ndef.TextRecord):
            text = str(record.text).strip()
            if len(text) > MAX_MEMBER_NO:
                raise CardReadError(f"member number of {len(text)} chars")
            try:  # the contract's own limits (no NUL): a tap the hub would refuse is no tap
                return _MEMBER_NO.validate_python(text) or None
            except ValidationError as exc:
                reason = error_message(exc.errors()[0])
                raise CardReadError(f"member number refused: {reason}") from exc
    return None


class Backoff:
    """Exponential delays initial, 2*initial, ... capped at maximum."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self._next = initial

    def next(self) -> float:
        delay = self._next
        self._next = min(self._next * 2, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = self.initial


class NfcReader(ThreadedReader):
    kind = "nfc"

    def __init__(
        self,
        config: NfcReaderConfig,
        on_reject: OnReject | None = None,
        *,
        open_frontend: FrontendFactory = nfc.ContactlessFrontend,
    ) -> None:
        super().__init__(config.name)
        self.config = config
        self.stats = NfcStats()
        self._on_reject = on_reject or (lambda reason, raw: None)
        self._open_frontend = open_frontend  # nfcpy's own; a seam for device-loss tests
        self._left_at: dict[str, float] = {}  # uid -> when it left the field
        self._present: str | None = None  # uid of the card on the reader now
        self._emit: Emit = lambda observation: None
        self._reported: ReaderStateName | None = None

    # -- the device loop -----------------------------------------------------------------

    def run_blocking(self, emit: Emit, stop: threading.Event) -> None:
        self._emit = emit
        backoff = Backoff(self.config.reconnect_initial, self.config.reconnect_max)
        while not stop.is_set():
            clf = self._open()
            if clf is None:
                stop.wait(backoff.next())
                continue
            opened_at = time.monotonic()
            try:
                failure = self._poll(clf, stop)
            finally:
                clf.close()
            if failure is None:
                break  # stopped
            if time.monotonic() - opened_at >= self.config.reconnect_max:
                backoff.reset()  # it outlived the longest wait: a fresh failure, not flapping
            self._set_state(*failure)
            stop.wait(backoff.next())
        self._set_state("down", "stopped", report=False)

    def _open(self) -> Any:
        try:
            clf = self._open_frontend(self.config.device)
        except (OSError, ValueError) as exc:
            self.stats.open_failures += 1
            detail = f"cannot open {self.config.device}: {_describe(exc)}"
            log.warning("nfc.open_failed", reader=self.name, detail=detail)
            self._set_state("down", detail)
            return None
        self._set_state("up", f"opened {self.config.device}")
        return clf

    def _poll(self, clf: Any, stop: threading.Event) -> tuple[ReaderStateName, str] | None:
        """Read tags until stopped (None) or the device fails (the state and why)."""
        rdwr = {
            "targets": self.config.sense_targets(),
            "iterations": 1,
            "interval": 0.0,
            "on-connect": self.handle_tag,
            "on-release": self._on_release,
        }
        while not stop.is_set():
            try:
                result = clf.connect(rdwr=rdwr, terminate=lambda: self._should_stop(stop))
            except Exception as exc:  # nfcpy raises assorted errors on garbage radio data
                log.exception("nfc.connect_crashed", reader=self.name)
                self.health.errors += 1
                return "error", f"nfcpy error: {_describe(exc)}"
            if result is False:  # nfcpy caught an IOError from the device and logged it
                self.stats.device_failures += 1
                return "down", "device i/o error (see the nfc.clf log)"
        return None

    def _should_stop(self, stop: threading.Event) -> bool:
        """nfcpy's terminate hook, called between sense rounds and presence checks."""
        self.stats.polls += 1
        return stop.wait(POLL_GAP)

    # -- per tag ---------------------------------------------------------------------------

    def handle_tag(self, tag: Any) -> bool:
        """nfcpy's on-connect, once per activation; True makes nfcpy wait until the tag leaves."""
        raw = bytes(tag.identifier)
        try:
            uid = card_uid(raw)
        except CardReadError as exc:
            self.stats.bad_uid += 1
            self.health.errors += 1
            log.warning("nfc.bad_uid", reader=self.name, raw=raw.hex(), error=str(exc))
            self._on_reject("bad uid", raw)
            return True
        self._present = uid
        if self._debounced(uid):
            self.stats.debounced += 1
            log.info("nfc.debounced", reader=self.name, uid=uid)
            return True
        body = CardTapped(
            uid=uid, technology=str(tag.type), reader=self.name, member_no=self._member_no(tag)
        )
        self.stats.taps += 1
        self._emit(Observation(body=body))
        return True

    def _on_release(self, tag: Any) -> bool:
        if self._present is not None:
            self._left_at[self._present] = time.monotonic()
            self._present = None
        return True

    def _debounced(self, uid: str) -> bool:
        now = time.monotonic()
        window = self.config.debounce_seconds
        self._left_at = {u: t for u, t in self._left_at.items() if now - t < window}
        return uid in self._left_at

    def _member_no(self, tag: Any) -> str | None:
        try:
            found = tag.ndef
            return None if found is None else member_no_from_ndef(bytes(found.octets))
        except (CardReadError, nfc.tag.TagCommandError, nfc.clf.CommunicationError) as exc:
            self.stats.bad_ndef += 1
            self.health.errors += 1
            log.warning("nfc.bad_ndef", reader=self.name, uid=tag.identifier.hex(), error=str(exc))
            return None

    # -- health ----------------------------------------------------------------------------

    def _set_state(self, state: ReaderStateName, detail: str, *, report: bool = True) -> None:
        self.health.state = state
        self.health.detail = detail
        if report and state != self._reported:
            self._reported = state
            status = ReaderStatus(reader=self.name, kind="nfc", state=state, detail=fitted(detail))
            self._emit(Observation(body=status))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{errno.errorcode.get(exc.errno, exc.errno)} {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"
