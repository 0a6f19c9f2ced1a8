"""A POS on a serial line: pyserial transport -> FrameDecoder -> records -> observations.

pyserial blocks, so a thread reads the port and hands results to the event loop. A frame is
ACKed only when the consumer asks for the next observation, i.e. after it has put this one
in the outbox: an ACK tells the POS the sale is safe. Bad frames are NAKed at once.
"""

import asyncio
import threading
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

import serial
import structlog
from pydantic import BaseModel, ConfigDict, Field

from edge.errors import PosFrameError, ReaderError
from edge.pos.framing import ACK, NAK, Frame, FrameDecoder
from edge.pos.profile import PosProfile, resolve_profile
from edge.pos.records import BadRecord
from edge.pos.text_record import interpret, redact_record
from edge.readers.base import Observation, Reader, ReaderKind, ReaderStateName
from wire.events import ReaderStatus
from wire.limits import fitted

log = structlog.get_logger(__name__)

RejectCallback = Callable[[str, bytes], None]
_READ_TIMEOUT_S = 0.05  # bounds how long stop() waits for the thread
_FIRST_RETRY_S = 0.1


class SerialPosConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="pos0", min_length=1, max_length=64)
    port: str = Field(
        min_length=1, description="device path or pyserial URL (socket://, rfc2217://)"
    )
    baudrate: int = Field(default=9600, gt=0)
    profile: str = "sp-text-v1"
    ack: bool = True  # answer ACK/NAK; off for a POS that only streams
    frame_timeout_s: float = Field(default=1.0, gt=0, description="silence mid-frame = truncated")
    reopen_max_s: float = Field(default=5.0, gt=0, description="ceiling of the reopen backoff")


@dataclass(frozen=True)
class _Item:
    observation: Observation
    answer: Callable[[], None] | None = None  # sends ACK once the consumer has the observation


_Emit = Callable[[_Item | Exception], None]


class SerialPosReader(Reader):
    kind: ReaderKind = "pos_serial"

    def __init__(
        self,
        config: SerialPosConfig,
        tenant_key: bytes,
        on_reject: RejectCallback | None = None,
        profiles: dict[str, PosProfile] | None = None,
    ) -> None:
        super().__init__(config.name)
        self.config = config
        self.profile = resolve_profile(config.profile, profiles)
        self._tenant_key = tenant_key
        self._on_reject = on_reject
        self._write_lock = threading.Lock()  # ACKs come from the loop, NAKs from the thread
        self._reported: ReaderStateName | None = None  # last state sent as a ReaderStatus

    async def observations(self) -> AsyncGenerator[Observation, None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[_Item | Exception] = asyncio.Queue()
        stop = threading.Event()
        self._reported = None  # a restarted stream reports its state afresh

        def emit(item: _Item | Exception) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        thread = threading.Thread(
            target=self._thread_main, args=(emit, stop), name=f"pos-{self.name}", daemon=True
        )
        thread.start()
        try:
            while True:
                item = await queue.get()
                if isinstance(item, Exception):
                    raise ReaderError(f"{self.name}: reader thread failed: {item}") from item
                yield item.observation
                if item.answer is not None:
                    await asyncio.to_thread(item.answer)
        finally:
            stop.set()
            await asyncio.to_thread(thread.join, 5.0)
            self.health.state, self.health.detail = "down", "stopped"

    def _thread_main(self, emit: _Emit, stop: threading.Event) -> None:
        try:
            self._run(emit, stop)
        except Exception as exc:  # a bug, not a bad frame: the consumer's supervisor restarts us
            log.exception("pos_reader_crashed", reader=self.name)
            emit(exc)

    def _run(self, emit: _Emit, stop: threading.Event) -> None:
        """Open, pump, and on any port error close and reopen with exponential backoff."""
        delay = _FIRST_RETRY_S
        while not stop.is_set():
            port: Any = None
            try:
                port = self._open()
                self._status(emit, "up", f"open {self.config.port}")
                if self._pump(port, emit, stop):
                    delay = _FIRST_RETRY_S  # it worked for a while: retry quickly next time
            except ReaderError as exc:
                self._status(emit, "down", str(exc))
                log.warning("pos_port_down", reader=self.name, error=str(exc), retry_s=delay)
                stop.wait(delay)
                delay = min(delay * 2, self.config.reopen_max_s)
            finally:
                if port is not None:
                    self._close(port)

    def _open(self) -> Any:
        try:
            return serial.serial_for_url(
                self.config.port,
                baudrate=self.config.baudrate,
                timeout=_READ_TIMEOUT_S,
                write_timeout=1.0,
                exclusive=True,
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise ReaderError(f"cannot open {self.config.port}: {exc}") from exc

    def _close(self, port: Any) -> None:
        with self._write_lock:
            try:
                port.close()
            except (serial.SerialException, OSError) as exc:
                log.info("pos_port_close_failed", reader=self.name, error=str(exc))

    def _pump(self, port: Any, emit: _Emit, stop: threading.Event) -> bool:
        """Read until stop (returns) or a port error (raises ReaderError); True once bytes came."""
        decoder = FrameDecoder()
        got_data = False
        last = time.monotonic()
        while not stop.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError) as exc:
                raise ReaderError(f"read failed: {exc}") from exc
            now = time.monotonic()
            if data:
                got_data, last = True, now
                for result in decoder.feed(data):
                    self._handle(result, port, emit)
            elif decoder.pending and now - last >= self.config.frame_timeout_s:
                expired = decoder.expire()
                if expired is not None:
                    self._handle(expired, port, emit)
        return got_data

    def _handle(self, result: Frame | PosFrameError, port: Any, emit: _Emit) -> None:
        if isinstance(result, PosFrameError):
            self._reject(result, port)
            return
        try:
            body = interpret(result.payload, self.profile, self._tenant_key)
        except BadRecord as exc:
            self._reject(PosFrameError(exc.reason, result.raw), port)
            return
        answer = (lambda: self._answer(port, ACK)) if self.config.ack else None
        emit(_Item(Observation(body=body), answer))

    def _reject(self, error: PosFrameError, port: Any) -> None:
        self.health.errors += 1
        log.warning(
            "pos_frame_rejected", reader=self.name, reason=error.reason, size=len(error.raw)
        )
        if self._on_reject is not None:  # dead-letter before the NAK: the POS may resend at once
            self._on_reject(error.reason, redact_record(error.raw, self.profile))
        if self.config.ack:
            self._answer(port, NAK)

    def _answer(self, port: Any, byte: bytes) -> None:
        with self._write_lock:
            try:
                port.write(byte)
                port.flush()
            except (serial.SerialException, OSError) as exc:
                # the POS gets no answer and resends; the receipt number dedupes it downstream
                log.warning(
                    "pos_answer_failed", reader=self.name, answer=byte.hex(), error=str(exc)
                )

    def _status(self, emit: _Emit, state: ReaderStateName, detail: str) -> None:
        self.health.state, self.health.detail = state, detail
        if state != self._reported:
            self._reported = state
            status = ReaderStatus(
                reader=self.name, kind=self.kind, state=state, detail=fitted(detail)
            )
            emit(_Item(Observation(body=status)))
