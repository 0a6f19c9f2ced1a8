"""SerialPosReader end to end through real pyserial: a pty, and a socket:// line that drops."""

import asyncio
import contextlib
import socket
import threading
from collections.abc import AsyncGenerator, Callable, Coroutine
from typing import Any

import pytest
from pydantic import ValidationError

from edge.errors import ConfigError, ReaderError
from edge.pos.framing import encode_frame
from edge.pos.serial_link import SerialPosConfig, SerialPosReader
from edge.readers.base import Observation
from storepulse.emulators.pos_terminal import ACK, NAK, PosTerminal, SaleLine, frame
from tests.support.net import free_port
from wire.events import PosCheckout, PosServiceLogged, ReaderStatus
from wire.identity import IdentifierKind

KEY = b"tenant-key-for-tests-0123456789ab"
LINES = [SaleLine("SKU1", 2, 500, "Amoxicillin"), SaleLine("SKU2", 1, 280, "Bandage")]


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(scenario(), 20))


async def next_obs(stream: AsyncGenerator[Observation, None], timeout: float = 5.0) -> Observation:
    return await asyncio.wait_for(anext(stream), timeout)


async def expect_status(stream: AsyncGenerator[Observation, None], state: str) -> ReaderStatus:
    body = (await next_obs(stream)).body
    assert isinstance(body, ReaderStatus), body
    assert (body.state, body.kind) == (state, "pos_serial")
    return body


async def close(stream: AsyncGenerator[Observation, None], pending: "asyncio.Future[Any]") -> None:
    """Cancel a pending anext (which closes the generator), then make sure it is closed."""
    pending.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await pending
    await stream.aclose()


class Rejects:
    def __init__(self) -> None:
        self.items: list[tuple[str, bytes]] = []

    def __call__(self, reason: str, raw: bytes) -> None:
        self.items.append((reason, raw))


def test_checkout_arrives_and_is_acked_only_once_consumed() -> None:
    async def scenario() -> None:
        with PosTerminal() as pos:
            assert pos.device_path is not None
            reader = SerialPosReader(SerialPosConfig(port=pos.device_path), KEY)
            stream = reader.observations()
            await expect_status(stream, "up")  # port open: now the POS may talk
            pos.send_raw(
                frame("CHK|rcpt=R1|mbr=card_uid:04A1B2C3|total=1280|item=A*2@500|item=B*1@280")
            )
            body = (await next_obs(stream)).body
            assert isinstance(body, PosCheckout)
            assert (body.receipt_no, body.total) == ("R1", 1280)
            assert body.member is not None and body.member.kind is IdentifierKind.CARD_UID
            # not ACKed yet: the consumer has not asked for more, so it may not have stored it
            assert pos.read_answer(timeout=0.2) is None
            pending = asyncio.ensure_future(anext(stream))
            assert await asyncio.to_thread(pos.read_answer) == ACK
            await close(stream, pending)
            assert reader.health.errors == 0
            assert (reader.health.state, reader.health.detail) == ("down", "stopped")

    run(scenario)


def test_corrupt_frame_is_naked_and_rejected_then_next_frame_arrives() -> None:
    rejects = Rejects()

    async def scenario() -> None:
        with PosTerminal() as pos:
            assert pos.device_path is not None
            reader = SerialPosReader(SerialPosConfig(port=pos.device_path), KEY, on_reject=rejects)
            stream = reader.observations()
            await expect_status(stream, "up")
            bad = bytearray(frame("CHK|rcpt=R1|total=5|item=A*1@5"))
            bad[-2] = ord("0") if bad[-2] != ord("0") else ord("1")  # last checksum digit
            pos.send_raw(bytes(bad))
            assert await asyncio.to_thread(pos.read_answer) == NAK
            assert rejects.items and rejects.items[0][0].startswith("bad_checksum")
            assert rejects.items[0][1] == bytes(bad)
            # a well-framed record that does not add up is NAKed with the meaning-layer reason
            assert await asyncio.to_thread(pos.send_frame, "CHK|rcpt=R2|total=9|item=A*1@5") == NAK
            assert rejects.items[1][0].startswith("total_mismatch")
            got = asyncio.ensure_future(next_obs(stream))
            answer = asyncio.ensure_future(
                asyncio.to_thread(pos.send_service, "bp_check", member="member_no:M1")
            )
            body = (await got).body
            assert isinstance(body, PosServiceLogged) and body.service_type == "bp_check"
            pending = asyncio.ensure_future(anext(stream))
            assert await answer == ACK
            await close(stream, pending)
            assert reader.health.errors == 2

    run(scenario)


def test_a_nul_or_a_bad_escape_is_naked_with_the_reason_and_no_member_number_kept() -> None:
    rejects = Rejects()

    async def scenario() -> None:
        with PosTerminal() as pos:
            assert pos.device_path is not None
            reader = SerialPosReader(SerialPosConfig(port=pos.device_path), KEY, on_reject=rejects)
            stream = reader.observations()
            await expect_status(stream, "up")
            for payload in [
                "CHK|rcpt=SER-15%ZZ|mbr=phone:13800138000|total=5|item=A*1@5",
                "CHK|rcpt=SER-16|total=5|item=A*1@5:a%00b",
            ]:
                assert await asyncio.to_thread(pos.send_frame, payload) == NAK
            assert [reason for reason, _ in rejects.items] == [
                "malformed: bad percent-encoding '%ZZ'",
                "bad_value: item.0.name: must not contain a NUL character",
            ]
            kept = rejects.items[0][1]
            assert b"13800138000" not in kept and b"|mbr=<redacted>|" in kept
            assert reader.health.errors == 2
            await stream.aclose()

    run(scenario)


def test_split_frames_noise_and_a_silent_truncation() -> None:
    rejects = Rejects()

    async def scenario() -> None:
        with PosTerminal() as pos:
            assert pos.device_path is not None
            config = SerialPosConfig(port=pos.device_path, frame_timeout_s=0.2, ack=False)
            stream = SerialPosReader(config, KEY, on_reject=rejects).observations()
            await expect_status(stream, "up")
            pos.send_raw(b"\x00garbage\x03\n")
            for byte in encode_frame("CHK|rcpt=R7|total=5|item=A*1@5"):
                pos.send_raw(bytes([byte]))
            body = (await next_obs(stream)).body
            assert isinstance(body, PosCheckout) and body.receipt_no == "R7"
            pos.send_raw(b"\x02CHK|rcpt=R8|to")  # the POS dies mid-frame
            await asyncio.to_thread(_wait_until, lambda: bool(rejects.items))
            assert rejects.items[0] == ("truncated: line idle in payload", b"\x02CHK|rcpt=R8|to")
            assert pos.read_answer(timeout=0.1) is None  # ack=False: the reader never answers
            await stream.aclose()

    run(scenario)


def test_port_that_drops_is_reopened_with_backoff() -> None:
    port = free_port()

    async def scenario() -> None:
        config = SerialPosConfig(port=f"socket://127.0.0.1:{port}", reopen_max_s=0.2)
        stream = SerialPosReader(config, KEY).observations()
        assert "cannot open" in (await expect_status(stream, "down")).detail
        for receipt in ("R1", "R2"):  # the line comes up, then drops, then comes back
            with await asyncio.to_thread(_serve_once, port) as conn:
                await expect_status(stream, "up")
                conn.sendall(frame(f"CHK|rcpt={receipt}|total=5|item=A*1@5"))
                body = (await next_obs(stream)).body
                assert isinstance(body, PosCheckout) and body.receipt_no == receipt
                pending = asyncio.ensure_future(anext(stream))
                assert await asyncio.to_thread(conn.recv, 1) == ACK
            down = await asyncio.wait_for(pending, 5)
            assert isinstance(down.body, ReaderStatus) and down.body.state == "down"
        await stream.aclose()

    run(scenario)


def test_a_failing_dead_letter_sink_surfaces_as_reader_error() -> None:
    """A bug below the reader must reach the supervisor, not hang the stream."""

    def broken_sink(reason: str, raw: bytes) -> None:
        raise RuntimeError("dead-letter store is gone")

    async def scenario() -> None:
        with PosTerminal() as pos:
            assert pos.device_path is not None
            reader = SerialPosReader(SerialPosConfig(port=pos.device_path), KEY, broken_sink)
            stream = reader.observations()
            await expect_status(stream, "up")
            pos.send_raw(b"\x02CHK|x\x030000\n")
            with pytest.raises(ReaderError, match="reader thread failed") as info:
                await next_obs(stream)
            assert isinstance(info.value.__cause__, RuntimeError)
            assert reader.health.state == "down"

    run(scenario)


def test_config_is_strict_and_profile_must_exist() -> None:
    with pytest.raises(ValidationError, match="speed"):
        SerialPosConfig.model_validate({"port": "/dev/ttyUSB0", "speed": 9600})
    config = SerialPosConfig(port="/dev/ttyUSB0", profile="nope")
    with pytest.raises(ConfigError, match="nope"):
        SerialPosReader(config, KEY)
    assert SerialPosConfig(port="x").model_dump() == {
        "name": "pos0",
        "port": "x",
        "baudrate": 9600,
        "profile": "sp-text-v1",
        "ack": True,
        "frame_timeout_s": 1.0,
        "reopen_max_s": 5.0,
    }


def _wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    done = threading.Event()
    for _ in range(int(timeout / 0.01)):
        if predicate():
            return
        done.wait(0.01)
    raise TimeoutError("condition not met")


def _serve_once(port: int) -> socket.socket:
    """Listen on `port`, accept the reader's (re)connection, stop listening."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen(1)
        server.settimeout(10)
        conn, _ = server.accept()
        conn.settimeout(5)
        return conn
