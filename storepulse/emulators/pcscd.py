"""pcscd with vsmartcard's vpcd driver, for the demo and the smart-card tests.

There is one pcscd per machine (pcsc-lite 1.9 has a fixed socket), so tests share it: a
running pcscd is reused and left alone (its vpcd listens where /etc/reader.conf.d/vpcd
says, 35963), otherwise we start `pcscd --foreground` and end it by pid. Ours gets its own
reader.conf.d with vpcd on OWN_VPCD_PORT: 35963 is inside the kernel's ephemeral range, and
any client socket on the machine that happened to get it (an MQTT connection of another
test, say, even one in TIME_WAIT) made vpcd's listen fail with "Address already in use".
"""

import re
import subprocess
import time
from pathlib import Path

from smartcard import scard

from storepulse.emulators.processes import end_process

SYSTEM_VPCD_PORT = 35963  # vpcd slot 0 in Debian's /etc/reader.conf.d/vpcd
OWN_VPCD_PORT = 23675  # below the ephemeral range (32768-60999): no client port collides
SYSTEM_VPCD_CONF = Path("/etc/reader.conf.d/vpcd")
VPCD_READER = "Virtual PCD 00 00"


def list_readers() -> list[str] | None:
    """Reader names, or None when no pcscd answers."""
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
    """Block until pcscd shows the reader with (or without) a card."""
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
    def __init__(self, log_path: Path) -> None:
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def owned(self) -> bool:
        """True when this test run started the daemon (and so may stop it)."""
        return self.process is not None

    @property
    def vpcd_port(self) -> int:
        """Where a virtual card connects: our port; for a reused daemon, the vpcd port that
        is listening (another test run's pcscd uses ours, a system one 35963)."""
        if self.owned or OWN_VPCD_PORT in listening_ports():
            return OWN_VPCD_PORT
        return SYSTEM_VPCD_PORT

    def ensure(self) -> "Pcscd":
        if list_readers() is None:
            self.start()
        try:
            self.wait_for_reader()
        except (RuntimeError, TimeoutError):
            self.stop()  # never leave a daemon we started behind
            raise
        return self

    def start(self) -> None:
        conf_dir = self.log_path.parent / "reader.conf.d"
        conf_dir.mkdir(exist_ok=True)
        (conf_dir / "vpcd").write_text(own_vpcd_conf(SYSTEM_VPCD_CONF.read_text()))
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                ["pcscd", "--foreground", "--config", str(conf_dir)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def stop(self) -> None:
        """End the daemon we started (by pid); a reused system daemon is never touched."""
        if self.process is None:
            return
        end_process(self.process)
        self.process = None
        deadline = time.monotonic() + 5.0
        while list_readers() is not None:  # the socket lingers for a moment
            if time.monotonic() > deadline:
                raise TimeoutError("pcscd still answers after being stopped")
            time.sleep(0.02)

    def wait_for_reader(self, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"pcscd exited ({self.process.returncode}); see {self.log_path}")
            if VPCD_READER in (list_readers() or []):
                return
            time.sleep(0.02)
        raise TimeoutError(f"{VPCD_READER!r} not listed by pcscd within {timeout}s")


def own_vpcd_conf(system_conf: str) -> str:
    """The system's vpcd reader entry (its LIBPATH fits this machine) with our port as the
    channel: vpcd listens on the port the channel id names."""
    system_channel = re.compile(f"0x{SYSTEM_VPCD_PORT:04x}", re.IGNORECASE)
    if not system_channel.search(system_conf):
        raise RuntimeError(f"{SYSTEM_VPCD_CONF} names no vpcd channel {system_channel.pattern}")
    return system_channel.sub(f"0x{OWN_VPCD_PORT:04X}", system_conf)


def listening_ports() -> set[int]:
    """TCP ports in LISTEN state on this machine (Linux /proc), read without connecting:
    a connection to vpcd would look like a card being inserted."""
    ports: set[int] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[3] == "0A":  # TCP_LISTEN
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
