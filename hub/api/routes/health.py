from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from hub.api.deps import SessionDep
from hub.api.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
def healthz(session: SessionDep) -> Health | JSONResponse:
    """200 when the database answers, 503 otherwise."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        body = Health(status="unavailable", database="unreachable")
        return JSONResponse(status_code=503, content=body.model_dump())
    return Health(status="ok", database="ok")
