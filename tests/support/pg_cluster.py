"""A private PostgreSQL cluster for tests that stop or restart the server.

`initdb` and `pg_ctl` from the newest /usr/lib/postgresql/*/bin, run as the `postgres`
user when we are root (PostgreSQL refuses to run as root), on a free loopback port with
its socket in its own directory. The shared server is never touched. Trust auth on
loopback only: the cluster lives as long as the test and holds nothing else.
"""

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from tests.support.net import free_port, wait_for_port


def _bin_dir() -> Path:
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name or "0")
    )
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found under /usr/lib/postgresql")
    return found[-1]


@dataclass(frozen=True)
class ServerCopy:
    bin_dir: Path
    lib_dir: Path  # $libdir: shared libraries, preloaded or not
    extension_dir: Path  # control and script files: what pg_available_extensions lists


def copy_of_server(root: Path) -> ServerCopy:
    """The newest server's files under `root`, laid out as Debian does (hard links where
    the filesystem allows). PostgreSQL finds its lib and share relative to its binary, so
    files added here (an extension, say) reach this copy only, never the machine's server:
    add new files, never write into the linked ones."""
    version = _bin_dir().parent.name
    lib_root = root / "lib" / "postgresql" / version
    share_root = root / "share" / "postgresql" / version
    shutil.copytree(Path("/usr/lib/postgresql") / version, lib_root, copy_function=_link)
    shutil.copytree(Path("/usr/share/postgresql") / version, share_root, copy_function=_link)
    root.chmod(0o755)  # the postgres account must reach it (mkdtemp makes 0700)
    return ServerCopy(lib_root / "bin", lib_root / "lib", share_root / "extension")


def _link(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


class PrivatePostgres:
    def __init__(self, port: int | None = None, bin_dir: Path | None = None) -> None:
        self.port = port or free_port()
        self.bin = bin_dir or _bin_dir()
        self.root: Path | None = None
        self.settings: dict[str, str] = {}  # -c NAME=VALUE at the next start

    @property
    def admin_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        """A SQLAlchemy URL (psycopg 3) of one database in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> "PrivatePostgres":
        if self.root is None:
            self._init()
        self._pg_ctl(
            "start", "-w", "-t", "60", "-l", str(self._dir / "server.log"), "-o", self._opts()
        )
        wait_for_port(self.port, timeout=30)
        return self

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m fast` (or `immediate`: no checkpoint, crash recovery on start)."""
        self._pg_ctl("stop", "-w", "-t", "60", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def destroy(self) -> None:
        if self.root is None:
            return
        if (self._dir / "data" / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def create_database(self, name: str) -> str:
        with psycopg.connect(self.admin_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def log(self) -> str:
        path = self._dir / "server.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- internals -------------------------------------------------------------------

    @property
    def _dir(self) -> Path:
        assert self.root is not None, "start() first"
        return self.root

    def _init(self) -> None:
        # Not under pytest's tmp_path: its parents are private to root, and postgres must
        # be able to reach its data directory.
        self.root = Path(tempfile.mkdtemp(prefix="sp-pg-"))
        (self.root / "sock").mkdir()
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            for path in (self.root, self.root / "sock"):
                os.chown(path, account.pw_uid, account.pw_gid)
        self._run(
            str(self.bin / "initdb"),
            "-D", str(self.root / "data"),
            "-U", "postgres",
            "--auth=trust",
            "-E", "UTF8",
            "--no-sync",
        )  # fmt: skip

    def _opts(self) -> str:
        sock = self._dir / "sock"
        extra = "".join(f" -c {name}={value}" for name, value in self.settings.items())
        return (
            f"-p {self.port} -k {sock} -c listen_addresses=127.0.0.1 -c max_connections=50{extra}"
        )

    def _pg_ctl(self, *args: str) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self._dir / "data"), *args)

    @staticmethod
    def _run(*command: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        result = subprocess.run(
            [*prefix, *command], capture_output=True, text=True, timeout=120, cwd="/"
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command[:2])} failed: {result.stderr[-2000:]}")


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    cluster = PrivatePostgres().start()
    try:
        yield cluster
    finally:
        cluster.destroy()


def scratch_name() -> str:
    return f"sp_fault_{uuid.uuid4().hex[:12]}"
