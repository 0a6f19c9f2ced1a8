from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.api.deps import SessionDep
from hub.api.schemas import Health
from hub.crm import projection_jobs
from hub.crm.projector import lag_seconds

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(session: SessionDep) -> Health | JSONResponse:
    """200 when the database answers, 503 otherwise. The projection lag says how far the
    CRM (customers, purchases, touchpoints) is behind the committed events."""
    try:
        session.execute(text("SELECT 1"))
        lag = projection_jobs.lag(session)
    except SQLAlchemyError:
        body = Health(status="unavailable", database="unreachable")
        return JSONResponse(status_code=503, content=body.model_dump())
    return Health(
        status="ok",
        database="ok",
        projection_lag_events=lag.events,
        projection_lag_seconds=round(lag_seconds(lag, datetime.now(UTC)), 3),
    )
