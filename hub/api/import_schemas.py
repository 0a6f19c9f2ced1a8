"""What the import routes answer: a job and its progress."""

from datetime import datetime

from pydantic import BaseModel

from hub.db.models import ImportJob


class ImportJobOut(BaseModel):
    id: str
    kind: str
    file_name: str
    digest: str  # sha256 of the uploaded bytes
    status: str  # queued, running, done, failed
    error: str  # why a failed job failed; "" otherwise
    rows_total: int
    rows_done: int
    rows_ok: int
    rows_failed: int
    created: int  # customers or leads the file made (0 when it is imported again)
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @classmethod
    def of(cls, job: ImportJob) -> "ImportJobOut":
        return cls(
            id=job.id,
            kind=job.kind,
            file_name=job.file_name,
            digest=job.digest,
            status=job.status,
            error=job.error,
            rows_total=job.rows_total,
            rows_done=job.rows_done,
            rows_ok=job.rows_ok,
            rows_failed=job.rows_failed,
            created=job.created_count,
            created_at=job.created_at,
            started_at=job.started_at,
            finished_at=job.finished_at,
        )
