from fastapi import APIRouter
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from hub.ingest import shared_metrics

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
)
def metrics() -> Response:
    """Prometheus text format; with ingest processes, their counters are added in."""
    return Response(content=shared_metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
