from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hub import metrics as hub_metrics
from hub.api.deps import SessionDep
from hub.db.timescale_jobs import job_states
from hub.ingest import shared_metrics

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics(session: SessionDep) -> Response:
    """Prometheus text format; with ingest processes, their counters are added in."""
    _read_timescale_jobs(session)
    return Response(content=shared_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)


def _read_timescale_jobs(session: Session) -> None:
    """The TimescaleDB jobs' failures, from its catalogue at each scrape."""
    try:
        states = job_states(session.connection())
    except SQLAlchemyError:
        return  # /metrics answers without the database; /healthz says it is unreachable
    hub_metrics.TIMESCALE_JOB_FAILURES.clear()
    hub_metrics.TIMESCALE_JOB_FAILING.clear()
    for state in states or []:
        hub_metrics.TIMESCALE_JOB_FAILURES.labels(state.job).set(state.total_failures)
        hub_metrics.TIMESCALE_JOB_FAILING.labels(state.job).set(int(state.failing))
