"""Contact ID / social-security cards through PC/SC (pyscard's `smartcard.scard` over pcscd).

One loop per reader: find the PC/SC reader, wait on SCardGetStatusChange with a short
timeout (so stop is seen within `poll_interval`), and on each insertion run the APDU
profile once. The raw card number stays inside `_read_card`: only its keyed hash leaves,
and no log line, exception or reject callback ever carries it.
"""

import logging
import threading
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field, field_validator
from smartcard import scard

from edge.errors import CardReadError, ConfigError, ReaderError
from edge.readers.apdu_profile import PROFILES, ApduProfile, CardRejected
from edge.readers.base import Emit, Observation, ReaderStateName, ThreadedReader
from wire.events import IdCardRead, ReaderStatus
from wire.identity import IdentifierKind, keyed_hash
from wire.limits import fitted

log = logging.getLogger(__name__)

OnReject = Callable[[str, bytes], None]

BACKOFF_FIRST = 0.2
BACKOFF_MAX = 5.0
# PC/SC results that mean "pcscd or the reader is gone", not "this card is bad".
_READER_GONE = {
    scard.SCARD_E_NO_SERVICE,
    scard.SCARD_E_SERVICE_STOPPED,
    scard.SCARD_E_UNKNOWN_READER,
    scard.SCARD_E_READER_UNAVAILABLE,
    scard.SCARD_E_NO_READERS_AVAILABLE,
    scard.SCARD_F_COMM_ERROR,  # the client library lost its socket to pcscd
}
_GONE_STATES = scard.SCARD_STATE_UNKNOWN | scard.SCARD_STATE_UNAVAILABLE


class SmartCardReaderConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(default="idcard0", min_length=1, max_length=200)
    reader_match: str = Field(default="", description="substring of the PC/SC reader name")
    profile: str = Field(default="sp-id-v1", description="an APDU profile name")
    poll_interval: float = Field(default=0.2, gt=0, le=5.0)

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown APDU profile {value!r}; known: {', '.join(PROFILES)}")
        return value


def _pcsc_error(hresult: int, what: str, *, card_call: bool = False) -> ReaderError:
    """Map a PC/SC result to ours. Outside a card call every failure restarts the session
    (ReaderError); inside one, only daemon/reader trouble does and the rest is the card's."""
    text = scard.SCardGetErrorMessage(hresult).strip()
    message = f"{what}: {text} (0x{hresult & 0xFFFFFFFF:08X})"
    if card_call and hresult not in _READER_GONE:
        return CardReadError(message)
    return ReaderError(message)


class SmartCardReader(ThreadedReader):
    kind = "smartcard"

    def __init__(
        self, config: SmartCardReaderConfig, tenant_key: bytes, on_reject: OnReject | None = None
    ) -> None:
        if not tenant_key:
            raise ConfigError("smartcard reader needs a non-empty tenant key")
        super().__init__(config.name)
        self.config = config
        self.profile: ApduProfile = PROFILES[config.profile]
        self._tenant_key = tenant_key
        self._on_reject = on_reject
        self._reported: ReaderStateName | None = None

    def run_blocking(self, emit: Emit, stop: threading.Event) -> None:
        delay = BACKOFF_FIRST
        while not stop.is_set():
            try:
                self._session(emit, stop)
                return  # a session only ends cleanly on stop
            except ReaderError as exc:
                if self._reported == "up":
                    delay = BACKOFF_FIRST  # it was working: the first retry comes soon
                self._report(emit, "down", str(exc))
                log.warning("smartcard reader %s down, retry in %.1fs: %s", self.name, delay, exc)
            if stop.wait(delay):
                return
            delay = min(delay * 2, BACKOFF_MAX)

    def _session(self, emit: Emit, stop: threading.Event) -> None:
        try:
            self._context_session(emit, stop)
        except scard.error as exc:  # the only exception pyscard's C layer raises itself
            raise ReaderError(f"pyscard failed: {exc}") from exc

    def _context_session(self, emit: Emit, stop: threading.Event) -> None:
        hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
        if hresult != scard.SCARD_S_SUCCESS:
            raise _pcsc_error(hresult, "cannot reach pcscd")
        try:
            reader = self._find_reader(context)
            self._report(emit, "up", reader)
            log.info("smartcard reader %s up on %r", self.name, reader)
            self._watch(context, reader, emit, stop)
        finally:
            scard.SCardReleaseContext(context)

    def _find_reader(self, context: int) -> str:
        hresult, names = scard.SCardListReaders(context, [])
        if hresult not in (scard.SCARD_S_SUCCESS, scard.SCARD_E_NO_READERS_AVAILABLE):
            raise _pcsc_error(hresult, "cannot list readers")
        for name in names or []:
            if self.config.reader_match in name:
                return str(name)
        raise ReaderError(f"no PC/SC reader matching {self.config.reader_match!r}")

    def _watch(self, context: int, reader: str, emit: Emit, stop: threading.Event) -> None:
        timeout_ms = max(1, int(self.config.poll_interval * 1000))
        state = scard.SCARD_STATE_UNAWARE
        last_read: int | None = None  # pcscd's per-reader event counter at the last read
        while not stop.is_set():
            hresult, states = scard.SCardGetStatusChange(context, timeout_ms, [(reader, state)])
            if hresult == scard.SCARD_E_TIMEOUT:
                continue
            if hresult != scard.SCARD_S_SUCCESS:
                raise _pcsc_error(hresult, "status change failed")
            event = states[0][1]
            state = event & ~scard.SCARD_STATE_CHANGED
            if event & _GONE_STATES:
                raise ReaderError(f"PC/SC reader {reader!r} went away")
            counter = event >> 16  # pcsc-lite counts insertions/removals in the high word
            if event & scard.SCARD_STATE_PRESENT and counter != last_read:
                last_read = counter
                self._read_card(context, reader, emit)

    def _read_card(self, context: int, reader: str, emit: Emit) -> None:
        try:
            number = self._transact(context, reader)
        except CardReadError as exc:
            self._reject(exc)
            return
        body = IdCardRead(
            card_hash=keyed_hash(self._tenant_key, IdentifierKind.ID_HASH, number),
            profile=self.profile.name,
            reader=self.name,
        )
        emit(Observation(body=body))
        log.info("smartcard reader %s read a card (%s)", self.name, self.profile.name)

    def _transact(self, context: int, reader: str) -> str:
        hresult, card, protocol = scard.SCardConnect(
            context,
            reader,
            scard.SCARD_SHARE_SHARED,
            scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1,
        )
        if hresult != scard.SCARD_S_SUCCESS:
            raise _pcsc_error(hresult, "cannot connect to the card", card_call=True)

        def transmit(apdu: bytes) -> tuple[bytes, int]:
            result, response = scard.SCardTransmit(card, protocol, list(apdu))
            if result != scard.SCARD_S_SUCCESS:
                raise _pcsc_error(result, "card stopped answering", card_call=True)
            if len(response) < 2:
                raise CardRejected(f"{len(response)}-byte answer has no status word (card pulled?)")
            return bytes(response[:-2]), (response[-2] << 8) | response[-1]

        try:
            return self.profile.read_number(transmit)
        finally:
            scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)

    def _reject(self, exc: CardReadError) -> None:
        self.health.errors += 1
        sw = exc.sw if isinstance(exc, CardRejected) else b""
        log.warning("smartcard reader %s rejected a card: %s", self.name, exc)
        if self._on_reject is not None:
            self._on_reject(str(exc), sw)

    def _report(self, emit: Emit, state: ReaderStateName, detail: str) -> None:
        self.health.state, self.health.detail = state, detail
        if state == self._reported:
            return
        self._reported = state
        status = ReaderStatus(
            reader=self.name, kind="smartcard", state=state, detail=fitted(detail)
        )
        emit(Observation(body=status))
