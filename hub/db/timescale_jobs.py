"""TimescaleDB's background jobs (refresh, compression, retention, its own), as its
catalogue reports them: a job that keeps failing otherwise fails in silence, and the
rollup, compression and retention quietly stop (seen: every job failing on one server
build). /healthz and /metrics read this."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, text

from hub.db import timescale

# Each job with its counters and its latest error, if any (job_errors keeps a month).
JOBS = text(
    "SELECT j.application_name, s.last_run_status, coalesce(s.total_failures, 0), "
    "e.err_message, e.finish_time FROM timescaledb_information.jobs j "
    "LEFT JOIN timescaledb_information.job_stats s ON s.job_id = j.job_id "
    "LEFT JOIN LATERAL (SELECT x.err_message, x.finish_time "
    " FROM timescaledb_information.job_errors x WHERE x.job_id = j.job_id "
    " ORDER BY x.finish_time DESC NULLS FIRST LIMIT 1) e ON true "
    "ORDER BY j.job_id"
)


@dataclass(frozen=True)
class JobState:
    job: str  # its application_name, e.g. "Retention Policy [1002]"
    last_run_status: str | None  # Success, Failed; None: not run yet
    total_failures: int
    last_error: str | None
    last_error_at: datetime | None

    @property
    def failing(self) -> bool:
        return self.last_run_status == "Failed"


def job_states(conn: Connection) -> list[JobState] | None:
    """Every job of this database; None without TimescaleDB."""
    if not timescale.installed(conn):
        return None
    return [JobState(*row) for row in conn.execute(JOBS)]
