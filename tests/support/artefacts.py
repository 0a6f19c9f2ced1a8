"""Where tests keep what a person may want to look at afterwards (browser screenshots):
$STOREPULSE_ARTEFACTS, else var/artefacts/ in the checkout (ignored by git)."""

import os
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def artefact_path(name: str) -> Path:
    folder = Path(os.environ.get("STOREPULSE_ARTEFACTS") or CHECKOUT / "var" / "artefacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name
