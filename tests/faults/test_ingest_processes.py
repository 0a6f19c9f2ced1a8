"""(c2) A hub with two ingest processes: one is SIGKILLed mid-burst (the main process
starts it again), then the main process is SIGKILLed (its ingest processes, orphaned, stop
by themselves) and the hub is started again. Batches a process had taken but not acked are
re-sent by the gateway; the hub still holds each event exactly once."""

import os
import signal
from pathlib import Path

from tests.faults.conftest import BrokerAddress
from tests.faults.rig import FaultSettings, RigFactory
from tests.faults.scenario import Figures, assert_exactly_once, run_load_with_faults
from tests.support.processes import wait_for


def ingest_children(parent: int | None) -> list[int]:
    """Live ingest processes of `parent`: spawned multiprocessing children (not its
    resource tracker)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        state, ppid = stat[stat.rfind(")") + 2 :].split()[:2]
        if int(ppid) == parent and state != "Z" and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2] != "Z"


def test_ingest_process_killed_then_main_hub_killed(
    make_rig: RigFactory,
    broker: BrokerAddress,
    database_url: str,
    fault_settings: FaultSettings,
) -> None:
    rig = make_rig(broker.host, broker.port, database_url, hub={"ingest_processes": "2"}).start()
    wait_for("two ingest processes", lambda: len(ingest_children(rig.hub.pid)) == 2, 30)
    receipts = rig.receipts(fault_settings.n_short)
    figures = Figures("ingest process SIGKILL, then main hub SIGKILL", len(receipts))
    killed: list[int] = []

    def kill_ingest_process() -> None:
        child, survivor = ingest_children(rig.hub.pid)
        os.kill(child, signal.SIGKILL)
        killed.append(child)
        wait_for(
            "the hub restarted its ingest process",
            lambda: len(set(ingest_children(rig.hub.pid)) - {child, survivor}) == 1,
            30,
            diagnostics=rig.diagnostics,
        )

    def kill_main_process() -> None:
        orphans = ingest_children(rig.hub.pid)
        assert len(orphans) == 2, orphans
        rig.hub.kill()
        wait_for(
            "orphaned ingest processes stopped by themselves",
            lambda: not any(alive(pid) for pid in orphans),
            15,
            diagnostics=rig.diagnostics,
        )
        rig.hub.start()

    first = fault_settings.kill_at[0]
    # one point given: the main process dies halfway between it and the end of the load
    second = fault_settings.kill_at[1] if len(fault_settings.kill_at) > 1 else (first + 1) / 2
    faults = [(first, kill_ingest_process), (second, kill_main_process)]
    run_load_with_faults(rig, receipts, faults, figures)
    assert_exactly_once(rig, receipts, figures)
    assert len(killed) == 1 and not alive(killed[0])
    figures.show()
    assert rig.close() == 0
