from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.api.deps import SessionDep
from hub.api.schemas import Health, MqttLinkHealth, ProjectionHealth
from hub.crm import projection_jobs
from hub.crm.projector import lag_seconds

router = APIRouter(tags=["health"])
# What the running hub reports of its MQTT link and CRM projection (None: not here).
LiveState = Callable[[], tuple[MqttLinkHealth | None, ProjectionHealth | None]]


def _live(request: Request) -> tuple[MqttLinkHealth | None, ProjectionHealth | None]:
    live: LiveState | None = getattr(request.app.state, "live", None)
    return live() if live is not None else (None, None)


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(request: Request, session: SessionDep) -> Health | JSONResponse:
    """200 when the database answers and, in a running hub, the MQTT link is up and the CRM
    projection runs; 503 otherwise. The projection lag says how far the CRM (customers,
    purchases, touchpoints) is behind the committed events."""
    mqtt, projection = _live(request)
    try:
        session.execute(text("SELECT 1"))
        lag = projection_jobs.lag(session)
    except SQLAlchemyError:
        body = Health(
            status="unavailable", database="unreachable", mqtt=mqtt, projection=projection
        )
        return JSONResponse(status_code=503, content=body.model_dump())
    down = (mqtt is not None and not mqtt.connected) or (
        projection is not None and not projection.running
    )
    health = Health(
        status="degraded" if down else "ok",
        database="ok",
        mqtt=mqtt,
        projection=projection,
        projection_lag_events=lag.events,
        projection_lag_seconds=round(lag_seconds(lag, datetime.now(UTC)), 3),
    )
    return JSONResponse(status_code=503, content=health.model_dump()) if down else health
