"""Running an import job beside the request that brought its file: a thread per job, so
POST /imports answers 202 at once. The catch-all is this supervisor's: a job that breaks
is marked failed (and logged with its id), never left running for ever."""

import contextvars
import logging
import threading
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from hub.auth.scope import Scope
from hub.crm.imports.context import Keys
from hub.crm.imports.jobs import run_job
from hub.db.models import ImportJob
from hub.db.models.imports import FAILED

log = logging.getLogger(__name__)


def start_job(
    sessions: sessionmaker[Session], scope: Scope, job_id: str, data: bytes, keys: Keys
) -> threading.Thread:
    context = contextvars.copy_context()  # the request id, for the job's closing audit entry
    thread = threading.Thread(
        target=context.run,
        args=(_supervised, sessions, scope, job_id, data, keys),
        name=f"import-{job_id}",
        daemon=True,
    )
    thread.start()
    return thread


def _supervised(
    sessions: sessionmaker[Session], scope: Scope, job_id: str, data: bytes, keys: Keys
) -> None:
    try:
        run_job(sessions, scope, job_id, data, keys)
    except Exception:
        log.exception("import job %s failed", job_id)
        with sessions.begin() as session:
            job = session.get_one(ImportJob, job_id)
            job.status, job.finished_at = FAILED, datetime.now(UTC)
            job.error = "the import stopped on an internal error; rows done so far are kept"
