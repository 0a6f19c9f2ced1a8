"""A store box installs `storepulse[edge]` only: the gateway and the CLI must import
without the hub's libraries, and the hub without the device libraries; and the wheel
carries the files the code reads beside its modules."""

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from storepulse.provisioning import broker_config
from storepulse.provisioning.broker_config import TEMPLATE_DIR

ROOT = Path(__file__).resolve().parents[1]
NOT_SOURCE = (".venv", ".git", "build", "*.egg-info", "__pycache__", ".*_cache", "results")

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


def test_the_wheel_ships_the_files_the_code_reads_beside_it(tmp_path: Path) -> None:
    """An installed wheel, not only a checkout: the broker templates `render-config` reads
    next to its module, the migrations and the store page."""
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, symlinks=True, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), source],
        check=True,
        capture_output=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("storepulse-*.whl")
    with zipfile.ZipFile(wheel) as shipped:
        names = set(shipped.namelist())
        for template in ("acl", "hub.acl", "storepulse.conf"):
            packaged = shipped.read(f"storepulse/provisioning/mosquitto/{template}")
            assert packaged == (TEMPLATE_DIR / template).read_bytes()
    assert TEMPLATE_DIR.parent == Path(broker_config.__file__).resolve().parent
    assert {"storepulse/provisioning/broker_config.py", "hub/migrations/alembic.ini"} <= names
    assert {"edge/static/store.html", "edge/static/store.js"} <= names
    assert any(n.startswith("hub/migrations/versions/") for n in names)
