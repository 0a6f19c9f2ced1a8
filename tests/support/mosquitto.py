"""A private Mosquitto broker per test: own config, own loopback port, killed by pid."""

import os
import shutil
import signal
import subprocess
from pathlib import Path

from storepulse.emulators.processes import end_process
from tests.support.net import free_port, wait_for_port


class MosquittoBroker:
    def __init__(self, workdir: Path, extra_config: str = "", port: int | None = None) -> None:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        if not os.path.exists(binary):
            raise RuntimeError("mosquitto is not installed; run deploy/dev/setup.sh")
        self.binary = binary
        self.workdir = workdir
        self.port = port or free_port()
        self.extra_config = extra_config
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def config_path(self) -> Path:
        return self.workdir / "mosquitto.conf"

    def write_config(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        base = (
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "max_queued_messages 100000\n"
            f"log_dest file {self.workdir / 'mosquitto.log'}\n"
        )
        self.config_path.write_text(base + self.extra_config)

    def start(self) -> "MosquittoBroker":
        self.write_config()
        self.process = subprocess.Popen(
            [self.binary, "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)
        return self

    def kill(self) -> None:
        """SIGKILL, as a crash would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(5)
        self.process = None

    def stop(self) -> None:
        end_process(self.process)
        self.process = None

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""
