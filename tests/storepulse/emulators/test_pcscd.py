"""Each run's pcscd is its own: another daemon's cards never reach it, and nothing of it
listens on the machine's network (a real pcscd and vpcd, our virtual card)."""

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from storepulse.emulators.pcscd import VPCD_PORT, Pcscd, listening_ports_of
from tests.support.pcscd import pcscd, wait_card_state

__all__ = ["pcscd"]  # the session fixture, imported so pytest finds it

NUMBER = "11010519491231002X"
# How another process (a second test run, say) sees its own daemon's reader.
SHOWS_CARD = """
import sys
from storepulse.emulators.pcscd import wait_card_state
try:
    wait_card_state(present=True, timeout=float(sys.argv[1]))
except TimeoutError:
    sys.exit(1)
"""


def shows_card(daemon: Pcscd, within: float) -> bool:
    """Whether a client of `daemon`, in a process of its own, sees a card within `within` s
    (pcscd polls vpcd every ~0.4 s, so a card in the reader shows in well under 1 s)."""
    result = subprocess.run(
        [sys.executable, "-c", SHOWS_CARD, str(within)],
        env={**os.environ, **daemon.client_env()},
        capture_output=True,
        timeout=30,
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


@pytest.fixture
def other_run(pcscd: Pcscd) -> Iterator[Pcscd]:
    """A second run's daemon beside this run's, as when two checkouts test at once."""
    workdir = Path(tempfile.mkdtemp(prefix="sp-pcscd-"))  # short: a socket path <108 bytes
    other = Pcscd(workdir).ensure()
    yield other
    other.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_a_card_in_another_runs_reader_is_not_seen_here(pcscd: Pcscd, other_run: Pcscd) -> None:
    wait_card_state(present=False)
    with other_run.card(NUMBER):
        assert shows_card(other_run, within=5.0)  # it is in the other daemon's reader...
        with pytest.raises(TimeoutError):
            wait_card_state(present=True, timeout=1.5)  # ...and never in ours

    with pcscd.card(NUMBER):
        wait_card_state(present=True)
        assert not shows_card(other_run, within=1.5)
    wait_card_state(present=False)


def test_nothing_of_pcscd_listens_on_the_machine(pcscd: Pcscd) -> None:
    assert pcscd.process is not None
    pid = pcscd.process.pid
    assert {VPCD_PORT, VPCD_PORT + 1} <= listening_ports_of(pid)  # vpcd, in its namespace
    assert _tcp_listener_inodes(pid).isdisjoint(_tcp_listener_inodes("self"))
    assert _socket_inodes(pid) & _tcp_listener_inodes(pid)  # they are the daemon's own
    interfaces = {line.split(":")[0].strip() for line in _proc(pid, "net/dev")[2:]}
    assert interfaces == {"lo"}  # its namespace has loopback and nothing else


def _proc(pid: int | str, name: str) -> list[str]:
    return Path(f"/proc/{pid}/{name}").read_text().splitlines()


def _tcp_listener_inodes(pid: int | str) -> set[int]:
    """Inodes of the sockets in LISTEN state in the network namespace of `pid`."""
    rows = [line.split() for table in ("net/tcp", "net/tcp6") for line in _proc(pid, table)[1:]]
    return {int(row[9]) for row in rows if row[3] == "0A"}


def _socket_inodes(pid: int) -> set[int]:
    links = (os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd"))
    return {int(link[8:-1]) for link in links if link.startswith("socket:[")}
