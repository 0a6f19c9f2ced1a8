"""The POS terminal emulator's command line, against a gateway stand-in on a socket:// line."""

import socket
import subprocess
import sys
import threading

from edge.pos.framing import ACK, NAK, Frame, FrameDecoder
from edge.pos.profile import SP_TEXT_V1
from edge.pos.text_record import interpret
from tests.support.net import free_port
from wire.events import PosCheckout

KEY = b"tenant-key-for-tests-0123456789ab"


def _gateway_once(server: socket.socket, answer: bytes, got: list[Frame]) -> None:
    conn, _ = server.accept()
    with conn:
        conn.settimeout(10)
        decoder = FrameDecoder()
        while not got:
            got += [r for r in decoder.feed(conn.recv(4096)) if isinstance(r, Frame)]
        conn.sendall(answer)


def _run_cli(answer: bytes, *args: str) -> tuple[subprocess.CompletedProcess[str], Frame]:
    port = free_port()
    got: list[Frame] = []
    with socket.socket() as server:
        server.bind(("127.0.0.1", port))
        server.listen(1)
        server.settimeout(10)
        thread = threading.Thread(target=_gateway_once, args=(server, answer, got))
        thread.start()
        command = [sys.executable, "-m", "storepulse.emulators.pos_terminal"]
        result = subprocess.run(
            [*command, "--port", f"socket://127.0.0.1:{port}", *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        thread.join(10)
    return result, got[0]


def test_cli_sends_a_checkout_the_gateway_understands_and_reports_ack() -> None:
    result, frame = _run_cli(
        ACK,
        *("--checkout", "R42", "--item", "6901234567011*2@1850:阿莫西林胶囊 0.25g*24"),
        *("--item", "SKU2*1@280", "--member", "card_uid:04A1B2C3", "--staff", "S7"),
    )
    assert result.returncode == 0 and result.stdout.strip() == "ACK"
    body = interpret(frame.payload, SP_TEXT_V1, KEY)
    assert isinstance(body, PosCheckout)
    assert (body.receipt_no, body.total, len(body.items)) == ("R42", 2 * 1850 + 280, 2)
    assert (body.items[0].sku, body.items[0].name) == ("6901234567011", "阿莫西林胶囊 0.25g*24")


def test_cli_exits_1_on_nak() -> None:
    result, frame = _run_cli(NAK, "--service", "bp_check", "--note", "120/80")
    assert result.returncode == 1 and result.stdout.strip() == "NAK"
    assert frame.payload == "SVC|type=bp_check|note=120/80"
