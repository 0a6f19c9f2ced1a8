"""Ending a child process we started: politely, then firmly, always by its own handle."""

import subprocess


def end_process(process: "subprocess.Popen[bytes] | None", timeout: float = 5.0) -> None:
    """SIGTERM, wait; SIGKILL if it lingers. A process already gone is left alone."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout)
