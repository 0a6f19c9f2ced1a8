"""Loopback ports for private test servers."""

import random
import socket
import time


def free_port() -> int:
    """A free loopback port BELOW the ephemeral range (32768+ on Linux). A client that keeps
    reconnecting to a stopped server on an ephemeral port can be handed that very port as
    its own source port and connect to itself, and the server can then not bind again."""
    for _ in range(200):
        port = random.randint(20000, 32000)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free loopback port in 20000-32000")


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.02)
    raise TimeoutError(f"nothing listening on {host}:{port} after {timeout}s")
