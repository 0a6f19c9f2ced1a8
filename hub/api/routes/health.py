from collections.abc import Callable
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from hub.api.deps import SessionDep
from hub.api.schemas import (
    ConsumerHealth,
    ConsumerRun,
    Health,
    MqttLinkHealth,
    TimescaleJobHealth,
)
from hub.db.models import CacheChange
from hub.db.timescale_jobs import JobState, job_states
from hub.projection import stream
from hub.projection.registry import stream_consumers

router = APIRouter(tags=["health"])
# What the running hub reports of its MQTT link and stream consumers (None: not here).
LiveState = Callable[[], tuple[MqttLinkHealth | None, dict[str, ConsumerRun]]]


def _live(request: Request) -> tuple[MqttLinkHealth | None, dict[str, ConsumerRun]]:
    live: LiveState | None = getattr(request.app.state, "live", None)
    return live() if live is not None else (None, {})


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(request: Request, session: SessionDep) -> Health | JSONResponse:
    """200 when the database answers and, in a running hub, the MQTT link is up and every
    stream consumer runs; 503 otherwise. Each consumer's lag says how far it is behind the
    committed events (crm: customers, purchases, touchpoints). A TimescaleDB job whose last
    run failed makes it degraded but still 200: ingest and the API work, the rollups,
    compression or retention stand still."""
    mqtt, runs = _live(request)
    try:
        session.execute(text("SELECT 1"))
        consumers = _consumers(session, runs)
        states = job_states(session.connection())
    except SQLAlchemyError:
        body = Health(status="unavailable", database="unreachable", mqtt=mqtt)
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
    down = (mqtt is not None and not mqtt.connected) or any(
        not run.running for run in runs.values()
    )
    failing = any(state.failing for state in states or [])
    health = Health(
        status="degraded" if down or failing else "ok",
        database="ok",
        mqtt=mqtt,
        consumers=consumers,
        timescale_jobs=None if states is None else [_job(s) for s in states],
    )
    return JSONResponse(status_code=503, content=health.model_dump(mode="json")) if down else health


def _job(state: JobState) -> TimescaleJobHealth:
    return TimescaleJobHealth.model_validate(state, from_attributes=True)


def _consumers(session: Session, runs: dict[str, ConsumerRun]) -> dict[str, ConsumerHealth]:
    now = datetime.now(UTC)
    found = {}
    for consumer in stream_consumers(session.connection()):
        lag = stream.lag(session, consumer.name)
        found[consumer.name] = ConsumerHealth(
            lag_events=lag.events,
            lag_seconds=round(lag.seconds(now), 3),
            run=runs.get(consumer.name),
        )
    if "cache_follower" in runs:  # not a stream consumer: its lag is the queue it follows
        queued, oldest = session.execute(select(func.count(), func.min(CacheChange.at))).one()
        found["cache_follower"] = ConsumerHealth(
            lag_events=queued,
            lag_seconds=round((now - oldest).total_seconds(), 3) if oldest else 0.0,
            run=runs["cache_follower"],
        )
    return found
