"""A store box installs `storepulse[edge]` only: the gateway and the CLI must import
without the hub's libraries, and the hub without the device libraries."""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

BLOCKER = textwrap.dedent(
    """
    import sys
    BLOCKED = set(sys.argv[1].split(","))

    class Block:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"{name} is not installed on this box")
            return None

    sys.meta_path.insert(0, Block())
    for module in sys.argv[2].split(","):
        __import__(module)
    print("ok")
    """
)


@pytest.mark.parametrize(
    ("blocked", "modules"),
    [
        ("sqlalchemy,alembic,psycopg,amqtt", "edge.main,edge.gateway,storepulse.cli"),
        ("nfc,smartcard,serial,amqtt", "hub.main,hub.runtime,storepulse.cli"),
    ],
    ids=["edge-without-hub-libraries", "hub-without-device-libraries"],
)
def test_each_side_imports_with_only_its_extra(blocked: str, modules: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCKER, blocked, modules],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
