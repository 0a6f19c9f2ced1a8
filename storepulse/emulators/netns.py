"""A TCP connection made inside another process's network namespace (Linux, root).

The pcscd we start runs in a network namespace of its own, where vsmartcard's vpcd binds
0.0.0.0 (it cannot be told otherwise) and yet is reachable on that namespace's loopback
only. A virtual card connects from there: setns(2) moves only the calling thread, so a
short-lived thread enters the namespace, connects, and hands the socket back; the socket
stays in that namespace for its life, whichever thread uses it.
"""

import ctypes
import os
import socket
import threading

CLONE_NEWNET = 0x40000000


def connect_in_netns(netns: str, host: str, port: int, timeout: float = 5.0) -> socket.socket:
    """Connect to host:port as seen from the network namespace `netns` (/proc/PID/ns/net)."""
    result: list[socket.socket | BaseException] = []

    def inside() -> None:
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            fd = os.open(netns, os.O_RDONLY)
            try:
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    errno = ctypes.get_errno()
                    raise OSError(errno, f"setns({netns}): {os.strerror(errno)}")
            finally:
                os.close(fd)
            result.append(socket.create_connection((host, port), timeout=timeout))
        except BaseException as exc:  # handed to the caller's thread, raised there
            result.append(exc)

    thread = threading.Thread(target=inside, name="netns-connect")
    thread.start()
    thread.join()
    outcome = result[0]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome
