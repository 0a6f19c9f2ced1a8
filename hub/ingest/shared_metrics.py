"""The ingest processes' counters on the main process's /metrics.

Each ingest process starts with PROMETHEUS_MULTIPROC_DIR in its environment, so
prometheus-client keeps its values in files there (the library's multiprocess mode); the
main process, which keeps its own values in memory, adds the ingest families read from
those files to its own samples of the same names. Files of a process that died stay, so a
counter never goes back when its process is restarted. Gauges are the main process's own
(the projection's lag), never summed.
"""

import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

ENV = "PROMETHEUS_MULTIPROC_DIR"
# What an ingest process counts (hub/metrics.py), by family name.
INGEST_FAMILIES = frozenset(
    {
        "storepulse_hub_events",
        "storepulse_hub_dead_letters",
        "storepulse_hub_dead_letters_dropped",
        "storepulse_hub_batch_seconds",
        "storepulse_hub_mqtt_disconnects",
        "storepulse_hub_mqtt_oversize_refused",
    }
)
_directories: set[Path] = set()
_lock = threading.Lock()


@contextmanager
def child_environment(directory: Path) -> Iterator[None]:
    """While a child process is started: its prometheus-client writes to `directory`. The
    variable is put back at once, so nothing else this process starts inherits it."""
    with _lock:
        before = os.environ.get(ENV)
        os.environ[ENV] = str(directory)
        try:
            yield
        finally:
            if before is None:
                del os.environ[ENV]
            else:
                os.environ[ENV] = before


def add_directory(directory: Path) -> None:
    with _lock:
        _directories.add(directory)


def remove_directory(directory: Path) -> None:
    with _lock:
        _directories.discard(directory)


def exposition() -> bytes:
    """This process's metrics in the Prometheus text format, the ingest processes' added."""
    with _lock:
        directories = [d for d in _directories if d.is_dir()]
    if not directories:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Merged(directories))
    return generate_latest(registry)


class _Merged(Collector):
    def __init__(self, directories: list[Path]) -> None:
        self.directories = directories

    def collect(self) -> Iterable[Metric]:
        children: dict[str, list[Metric]] = {}
        for directory in self.directories:
            # prometheus-client leaves these two untyped
            files = MultiProcessCollector(None, path=str(directory))  # type: ignore[no-untyped-call]
            for family in files.collect():  # type: ignore[no-untyped-call]
                if family.name in INGEST_FAMILIES:
                    children.setdefault(family.name, []).append(family)
        for family in REGISTRY.collect():
            for extra in children.get(family.name, []):
                family.samples = _summed(family.samples, extra.samples)
            yield family


def _summed(own: list[Sample], other: list[Sample]) -> list[Sample]:
    """Samples with the same name and labels add up (counters, histogram buckets, sums and
    counts); a label set only the other side has is taken as it is."""
    totals = {(s.name, tuple(sorted(s.labels.items()))): s for s in own}
    for sample in other:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        mine = totals.get(key)
        totals[key] = sample if mine is None else mine._replace(value=mine.value + sample.value)
    return list(totals.values())
