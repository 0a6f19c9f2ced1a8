"""The processes of one PostgreSQL cluster, found by their working directory.

Every process of a server (postmaster, backends, checkpointer …) runs in its data
directory, so /proc/PID/cwd names the cluster exactly, even when postmaster.pid is gone
or stale and its pid now belongs to something else. Linux only: elsewhere none are found.
"""

import contextlib
import os
import signal
import time
from pathlib import Path

_POLL_SECONDS = 0.05


def cluster_processes(cluster_dir: Path) -> list[int]:
    """Pids of the processes whose working directory is `cluster_dir` (also when it has
    been deleted under them). Exited ones (zombies) have none and are not counted."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return []
    return [int(e) for e in entries if e.isdigit() and runs_in(int(e), cluster_dir)]


def runs_in(pid: int, cluster_dir: Path) -> bool:
    target = str(cluster_dir.resolve())
    try:
        cwd = os.readlink(f"/proc/{pid}/cwd")
    except OSError:  # gone, or not ours to look at
        return False
    return cwd in (target, f"{target} (deleted)")


def wait_until_gone(cluster_dir: Path, timeout_seconds: float) -> bool:
    """True once no process runs in `cluster_dir`; False if some still do at the timeout."""
    deadline = time.monotonic() + timeout_seconds
    while cluster_processes(cluster_dir):
        if time.monotonic() >= deadline:
            return False
        time.sleep(_POLL_SECONDS)
    return True


def end_processes(cluster_dir: Path, grace_seconds: float) -> None:
    """Give the cluster's processes `grace_seconds` to exit (children of a killed
    postmaster leave on their own), then kill what is left."""
    if wait_until_gone(cluster_dir, grace_seconds):
        return
    for pid in cluster_processes(cluster_dir):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    wait_until_gone(cluster_dir, 5.0)
