"""The hub's embedded PostgreSQL 18 (hub/db/embedded.py): a private cluster in the data
directory that starts, keeps its data across restarts, stops without leftovers, survives
a killed run, and serves a hub that has no database URL."""

import asyncio
import os
import pwd
import secrets
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from hub.db.embedded import HUB_ROLE, SERVER_ACCOUNT, EmbeddedPostgres, EmbeddedPostgresError
from hub.db.embedded_processes import cluster_processes, wait_until_gone
from hub.demo.logins import demo_api_key
from hub.runtime import HubRuntime
from storepulse.demo.rig import local_hub_settings
from tests.support.embedded_pg import private_data_dir
from tests.support.mosquitto import MosquittoBroker
from tests.support.net import free_port
from tests.support.processes import HubProcess

# Starts a server, writes a row, says the postmaster's pid, then waits to be killed.
KILLED_HUB = """
import sys, time
from pathlib import Path
from sqlalchemy import create_engine, text
from hub.db.embedded import EmbeddedPostgres
engine = create_engine(EmbeddedPostgres(Path(sys.argv[1])).start())
with engine.begin() as conn:
    conn.execute(text("CREATE TABLE kept (note text)"))
    conn.execute(text("INSERT INTO kept VALUES ('written before the kill')"))
engine.dispose()
print(EmbeddedPostgres(Path(sys.argv[1])).server_pid(), flush=True)
time.sleep(600)
"""


@pytest.fixture
def data_dir() -> Iterator[Path]:
    with private_data_dir() as path:
        yield path


def _scalar(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            return conn.execute(text(query)).scalar_one()
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def _alive(pid: int) -> bool:
    """Running: an exited process that init has not reaped yet (a zombie) is not."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat_line.rsplit(")", 1)[1].split()[0] != "Z"


def test_start_gives_a_postgresql_18_database_on_a_private_socket(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    assert not data_dir.exists()  # the constructor does no I/O
    url = server.start()
    try:
        assert url.startswith("postgresql+psycopg://")
        assert int(str(_scalar(url, "SHOW server_version_num"))) >= 180000
        assert _scalar(url, "SELECT current_database()") == "storepulse"
        admin = server.url_of("storepulse")
        assert _scalar(admin, "SHOW data_directory") == str(server.cluster_dir)
        assert _scalar(url, "SHOW listen_addresses") == ""  # no TCP at all
        # The hub runs as its own role, no superuser (the audit log relies on it).
        assert _scalar(url, "SELECT current_user") == HUB_ROLE
        assert _scalar(url, "SELECT current_setting('is_superuser')") == "off"
        assert _scalar(admin, "SELECT current_setting('is_superuser')") == "on"
        assert (server.cluster_dir / ".s.PGSQL.5432").is_socket()
        assert stat.S_IMODE(server.cluster_dir.stat().st_mode) == 0o700
        if os.geteuid() == 0:  # PostgreSQL refuses root: its own account runs it
            owner = pwd.getpwuid(server.cluster_dir.stat().st_uid).pw_name
            assert owner == SERVER_ACCOUNT
        assert server.start() == url  # started already: the same server
    finally:
        server.stop()


def test_restart_keeps_the_cluster_and_its_data(data_dir: Path) -> None:
    first = EmbeddedPostgres(data_dir)
    url = first.start()
    identity = _scalar(url, "SELECT system_identifier FROM pg_control_system()")
    try:
        _execute(url, "CREATE TABLE kept (note text)", "INSERT INTO kept VALUES ('kept')")
    finally:
        first.stop()

    again = EmbeddedPostgres(data_dir)
    url = again.start()
    try:
        assert _scalar(url, "SELECT system_identifier FROM pg_control_system()") == identity
        assert _scalar(url, "SELECT note FROM kept") == "kept"
    finally:
        again.stop()


def test_stop_leaves_no_process_and_no_pid_file(data_dir: Path) -> None:
    server = EmbeddedPostgres(data_dir)
    server.start()
    postmaster = server.server_pid()
    assert postmaster is not None and postmaster in cluster_processes(server.cluster_dir)
    server.stop()
    assert cluster_processes(server.cluster_dir) == []
    assert not _alive(postmaster)
    assert not (server.cluster_dir / "postmaster.pid").exists()
    assert not server.running
    server.stop()  # twice is harmless


def test_a_second_hub_on_the_same_data_dir_is_refused(data_dir: Path) -> None:
    owner = EmbeddedPostgres(data_dir)
    url = owner.start()
    try:
        with pytest.raises(EmbeddedPostgresError, match="in use by another hub"):
            EmbeddedPostgres(data_dir).start()
        assert _scalar(url, "SELECT 1") == 1  # the owner's server is untouched
    finally:
        owner.stop()


@pytest.mark.parametrize("killed", ["hub", "hub and server"])
def test_a_killed_run_is_cleaned_up_and_its_data_kept(data_dir: Path, killed: str) -> None:
    """A SIGKILLed hub leaves its server running (pg_ctl detaches it); a SIGKILLed server
    leaves a stale postmaster.pid and, for a moment, its children."""
    run = subprocess.Popen(
        [sys.executable, "-c", KILLED_HUB, str(data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert run.stdout is not None
        orphan = int(run.stdout.readline())
    finally:
        run.kill()
        run.wait()
    assert _alive(orphan)
    if killed == "hub and server":
        os.kill(orphan, signal.SIGKILL)
    assert (data_dir / "postgres" / "postmaster.pid").exists()

    server = EmbeddedPostgres(data_dir)
    url = server.start()
    try:
        assert server.server_pid() != orphan
        assert not _alive(orphan)
        assert _scalar(url, "SELECT note FROM kept") == "written before the kill"
    finally:
        server.stop()
    assert cluster_processes(server.cluster_dir) == []


def test_a_stale_pid_file_naming_a_live_unrelated_process(data_dir: Path) -> None:
    """After a reboot the pid in postmaster.pid may belong to anything, even a process of
    the server's own account: the server starts anyway and that process is left alone."""
    server = EmbeddedPostgres(data_dir)
    server.start()
    pid_file = (server.cluster_dir / "postmaster.pid").read_text()
    server.stop()
    account = pwd.getpwnam(SERVER_ACCOUNT) if os.geteuid() == 0 else None
    bystander = subprocess.Popen(
        ["sleep", "300"],
        user=account.pw_uid if account else None,
        group=account.pw_gid if account else None,
    )
    try:
        stale = "\n".join([str(bystander.pid), *pid_file.split("\n")[1:]])
        (server.cluster_dir / "postmaster.pid").write_text(stale)
        url = server.start()
        try:
            assert _scalar(url, "SELECT 1") == 1
            assert server.server_pid() != bystander.pid
            assert bystander.poll() is None
        finally:
            server.stop()
    finally:
        bystander.kill()
        bystander.wait()


def test_a_hub_without_a_database_url_runs_on_its_embedded_server(
    data_dir: Path, mosquitto: MosquittoBroker
) -> None:
    settings = local_hub_settings(
        None, mosquitto.port, secrets.token_urlsafe(24), data_dir=data_dir
    )
    hub = HubRuntime(settings, seed_demo_data=True)

    async def scenario() -> None:
        try:
            await hub.start()
            assert hub.embedded is not None and hub.settings.database_url == hub.embedded.url
            api = f"http://127.0.0.1:{hub.api_port}"
            assert hub.sessions is not None
            headers = {"X-API-Key": demo_api_key(hub.sessions)}
            response = await asyncio.to_thread(
                httpx.get, f"{api}/customers/cus-demo-01", headers=headers
            )
            assert response.status_code == 200
            assert response.json()["profile"]["id"] == "cus-demo-01"  # seeded there
        finally:
            await hub.stop()

    asyncio.run(scenario())
    assert hub.embedded is not None and not hub.embedded.running
    assert wait_until_gone(data_dir / "postgres", 0) and (data_dir / "postgres").is_dir()


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["INT", "TERM"])
def test_hub_serve_stops_its_embedded_server_with_it(
    data_dir: Path, mosquitto: MosquittoBroker, tmp_path: Path, signal_number: int
) -> None:
    """Ctrl-C or SIGTERM: the server (detached from the hub's session by pg_ctl, so no
    signal reaches it) stops with the hub."""
    settings = {
        "tenant_key": secrets.token_urlsafe(24),
        "mqtt_port": str(mosquitto.port),
        "data_dir": str(data_dir),
    }
    hub = HubProcess(tmp_path / "hub", settings, free_port()).start()
    assert hub.process is not None
    cluster = data_dir / "postgres"
    assert cluster_processes(cluster)
    os.kill(hub.process.pid, signal_number)
    exit_code = 130 if signal_number == signal.SIGINT else 0  # 130: ended by Ctrl-C
    assert hub.process.wait(30) == exit_code, hub.log_tail()
    assert cluster_processes(cluster) == []
    assert "embedded PostgreSQL stopped" in hub.log_tail()
