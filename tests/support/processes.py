"""The gateway and the hub as real OS processes, for tests that kill them.

Each is `python -m storepulse.cli …` started by pid, logging to a file that survives
restarts (appended), killed with SIGKILL by that pid, never by name. Readiness is a
condition with a deadline (an HTTP health answer), never a fixed sleep.
"""

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]


def wait_for(
    what: str,
    predicate: Callable[[], bool],
    timeout: float,
    interval: float = 0.05,
    diagnostics: Callable[[], str] | None = None,
) -> float:
    """Poll `predicate` until true; return the seconds it took. TimeoutError names `what`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            extra = f"\n{diagnostics()}" if diagnostics is not None else ""
            raise TimeoutError(f"{what}: not within {timeout:.0f}s{extra}")
        time.sleep(interval)
    return time.monotonic() - started


def to_toml(data: Mapping[str, Any], prefix: str = "") -> str:
    """Enough TOML for a gateway config: nested tables and scalars (strings as JSON strings,
    which are valid TOML basic strings)."""
    lines: list[str] = []
    tables: list[tuple[str, Mapping[str, Any]]] = []
    for key, value in data.items():
        if isinstance(value, Mapping):
            tables.append((f"{prefix}{key}", value))
        elif isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, int | float):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(str(value))}")
    text = "\n".join(lines) + ("\n" if lines else "")
    for name, table in tables:
        text += f"\n[{name}]\n" + to_toml(table, f"{name}.")
    return text


class _Process:
    """One `storepulse` subcommand, restartable, with a log that spans restarts."""

    name = "process"

    def __init__(self, workdir: Path, args: list[str], env: Mapping[str, str]) -> None:
        self.workdir = workdir
        self.args = args
        self.env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.kills = 0

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def spawn(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n---- start #{self.starts + 1} ----\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "storepulse.cli", "--log-text", *self.args],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL by pid, as a crash or a power cut would end it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.kills += 1
        self.process = None

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit within 15 s."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def log_tail(self, chars: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return f"---- {self.name} log (tail) ----\n{text[-chars:]}"

    def _ready(self, url: str, timeout: float) -> None:
        def answers() -> bool:
            if not self.alive():
                raise RuntimeError(f"{self.name} exited during start-up\n{self.log_tail()}")
            try:
                return httpx.get(url, timeout=1.0).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(f"{self.name} ready at {url}", answers, timeout, 0.05, self.log_tail)


class HubProcess(_Process):
    """`storepulse hub serve --seed-demo`, configured by STOREPULSE_HUB_* variables."""

    name = "hub"

    def __init__(self, workdir: Path, settings: Mapping[str, str], api_port: int) -> None:
        env = {f"STOREPULSE_HUB_{key.upper()}": value for key, value in settings.items()}
        env["STOREPULSE_HUB_API_PORT"] = str(api_port)
        super().__init__(workdir, ["hub", "serve", "--seed-demo"], env)
        self.api_url = f"http://127.0.0.1:{api_port}"

    def start(self, timeout: float = 90.0) -> "HubProcess":
        self.spawn()
        self._ready(f"{self.api_url}/healthz", timeout)
        return self


PAIR_DEVICE = [sys.executable, "-m", "storepulse.cli", "edge", "pair-device"]


class GatewayProcess(_Process):
    """`storepulse edge run --config FILE`, the file written from a dict."""

    name = "gateway"

    def __init__(self, workdir: Path, config: Mapping[str, Any]) -> None:
        self.config_path = workdir / "gateway.toml"
        super().__init__(workdir, ["edge", "run", "--config", str(self.config_path)], {})
        self.config = config
        page = config["store_page"]
        self.url = f"http://{page['host']}:{page['port']}"

    def start(self, timeout: float = 60.0) -> "GatewayProcess":
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(to_toml(self.config))
        self.spawn()
        self._ready(f"{self.url}/healthz", timeout)
        return self

    def paired_device(self, name: str = "fault-rig") -> dict[str, str]:
        """Pair a device as the field engineer does (a code from `storepulse edge
        pair-device`, entered on the running page); the headers its requests carry."""
        made = subprocess.run(
            [*PAIR_DEVICE, "--config", str(self.config_path), "--name", name],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        code = made.stdout.split("pairing code:", 1)[1].split("\n", 1)[0].strip()
        paired = httpx.post(f"{self.url}/device/pair", json={"code": code}, timeout=10.0)
        paired.raise_for_status()
        cookie = "; ".join(f"{k}={v}" for k, v in paired.cookies.items())
        return {"Cookie": cookie, "X-StorePulse-CSRF": paired.json()["csrf_token"]}

    def health(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/healthz", timeout=5.0)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    def outbox_depth(self) -> int | None:
        """The outbox depth from /healthz, or None while the gateway does not answer."""
        try:
            depth: int = self.health()["outbox"]["depth"]
            return depth
        except (httpx.TransportError, httpx.HTTPStatusError):
            return None
