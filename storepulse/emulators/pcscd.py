"""A pcscd of our own, for the demo and for each test run: shared with nobody.

pcsc-lite 1.9's daemon has a fixed socket, /run/pcscd/pcscd.comm (only its clients honour
PCSCLITE_CSOCK_NAME), and vsmartcard's vpcd listens on 0.0.0.0 (its reader.conf has no bind
address; its "reversed" mode crashes pcscd in Debian's vpcd 3.3). So `pcscd --foreground`
runs under `unshare --net --mount`:
- in a mount namespace of its own, our directory is its /run: its socket is
  WORKDIR/run/pcscd/pcscd.comm, and our clients reach it through PCSCLITE_CSOCK_NAME;
- in a network namespace of its own with only loopback up, vpcd's 0.0.0.0:35963 is
  reachable from nowhere else: a virtual card connects from inside (netns.py).
Two test runs, a demo beside them, or a system pcscd never see each other's readers or
cards, and nothing listens on the machine's interfaces. unshare needs root, as the rest of
the rig does (tests and demo run as root here).

A process's pyscard talks to one daemon: libpcsclite reads PCSCLITE_CSOCK_NAME at its first
call, once. Set it (`client_env()`) before the process first uses pyscard.
"""

import shutil
import socket
import subprocess
import time
from pathlib import Path

from smartcard import scard

from storepulse.emulators.processes import end_process
from storepulse.emulators.vpcd_card import Behaviour, VirtualCard

VPCD_PORT = 35963  # vpcd slot 0, as in Debian's /etc/reader.conf.d/vpcd: in our namespace
SYSTEM_VPCD_CONF = Path("/etc/reader.conf.d/vpcd")
VPCD_READER = "Virtual PCD 00 00"
SOCKET_ENV = "PCSCLITE_CSOCK_NAME"
# Inside the new namespaces: loopback up, our directory over /run, then pcscd (same pid).
_IN_NAMESPACES = 'ip link set lo up && mount --bind "$1" /run && exec pcscd --foreground -c "$2"'


def list_readers() -> list[str] | None:
    """Reader names of this process's pcscd, or None when it does not answer."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        return None
    try:
        hresult, names = scard.SCardListReaders(context, [])
        if hresult == scard.SCARD_E_NO_READERS_AVAILABLE:
            return []
        if hresult != scard.SCARD_S_SUCCESS:
            return None
        return [str(name) for name in names]
    finally:
        scard.SCardReleaseContext(context)


def wait_card_state(present: bool, reader: str = VPCD_READER, timeout: float = 5.0) -> None:
    """Block until this process's pcscd shows the reader with (or without) a card."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    assert hresult == scard.SCARD_S_SUCCESS, scard.SCardGetErrorMessage(hresult)
    try:
        deadline = time.monotonic() + timeout
        state = scard.SCARD_STATE_UNAWARE
        while time.monotonic() < deadline:
            hresult, states = scard.SCardGetStatusChange(context, 100, [(reader, state)])
            if hresult == scard.SCARD_S_SUCCESS:
                state = states[0][1] & ~scard.SCARD_STATE_CHANGED
                if bool(state & scard.SCARD_STATE_PRESENT) == present:
                    return
        raise TimeoutError(f"{reader!r} did not show present={present} within {timeout}s")
    finally:
        scard.SCardReleaseContext(context)


class Pcscd:
    """Our pcscd in WORKDIR (its /run, reader.conf.d and log); `ensure()` starts it."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log_path = workdir / "pcscd.log"
        self.run_dir = workdir / "run"  # its /run
        self.socket_path = self.run_dir / "pcscd" / "pcscd.comm"
        self.vpcd_port = VPCD_PORT
        self.process: subprocess.Popen[bytes] | None = None

    def client_env(self) -> dict[str, str]:
        """What a PC/SC client process needs in its environment to reach this daemon."""
        return {SOCKET_ENV: str(self.socket_path)}

    @property
    def netns(self) -> str:
        """The daemon's network namespace, where a virtual card connects to vpcd."""
        if self.process is None:
            raise RuntimeError("pcscd is not running")
        return f"/proc/{self.process.pid}/ns/net"

    def card(self, number: str, behaviour: Behaviour = "good") -> VirtualCard:
        """A virtual card for this daemon's first vpcd slot (insert it, or use `with`)."""
        return VirtualCard(number, port=self.vpcd_port, behaviour=behaviour, netns=self.netns)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ensure(self) -> "Pcscd":
        if self.running:
            return self
        self.start()
        try:
            self.wait_until_serving()
        except (RuntimeError, TimeoutError):
            self.stop()  # never leave a daemon we started behind
            raise
        return self

    def start(self) -> None:
        if len(str(self.socket_path)) > 100:  # a Unix socket path has 108 bytes at most
            raise RuntimeError(
                f"pcscd socket path too long, use a shorter WORKDIR: {self.socket_path}"
            )
        conf_dir = self.workdir / "reader.conf.d"
        conf_dir.mkdir(parents=True, exist_ok=True)
        shutil.copy(SYSTEM_VPCD_CONF, conf_dir / "vpcd")  # its LIBPATH fits this machine
        shutil.rmtree(self.socket_path.parent, ignore_errors=True)  # a killed run's leftovers
        self.socket_path.parent.mkdir(parents=True)
        command = ["unshare", "--net", "--mount", "--propagation", "private"]
        command += ["sh", "-c", _IN_NAMESPACES, "sh", str(self.run_dir), str(conf_dir)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        """End the daemon (by pid); its clients see the service gone."""
        end_process(self.process)
        self.process = None

    def wait_until_serving(self, timeout: float = 10.0) -> None:
        """Until the daemon accepts clients: it starts vpcd's slots before its socket."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                code = None if self.process is None else self.process.returncode
                raise RuntimeError(f"pcscd exited ({code}); see {self.log_path}")
            if _accepts(self.socket_path):
                return
            time.sleep(0.02)
        raise TimeoutError(f"pcscd did not open {self.socket_path} within {timeout}s")


def _accepts(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


def listening_ports() -> set[int]:
    """TCP ports in LISTEN state in this network namespace (Linux /proc), read without
    connecting: a connection to vpcd would look like a card being inserted."""
    return listening_ports_of("self")


def listening_ports_of(pid: int | str) -> set[int]:
    """TCP ports in LISTEN state in the network namespace of process `pid`."""
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
