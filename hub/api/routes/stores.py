from datetime import UTC, datetime

from fastapi import APIRouter

from hub.api.deps import GatewaysReadDep, SessionDep, SettingsDep, StoreIdPath
from hub.api.schemas import GatewayOut, Problem
from hub.gateways.status import GatewayHealth, store_gateways

router = APIRouter(prefix="/stores", tags=["stores"], responses={503: {"model": Problem}})


@router.get(
    "/{store_id}/gateways", response_model=list[GatewayOut], responses={404: {"model": Problem}}
)
def list_gateways(
    store_id: StoreIdPath, session: SessionDep, settings: SettingsDep, _who: GatewaysReadDep
) -> list[GatewayOut]:
    """Each gateway of the store; one silent for longer than the offline window is offline."""
    now = datetime.now(UTC)
    health = store_gateways(session, store_id, now, settings.gateway_offline_after_seconds)
    return [_to_out(h) for h in health]


def _to_out(h: GatewayHealth) -> GatewayOut:
    g, letters = h.gateway, h.letters_today
    return GatewayOut(
        id=g.id,
        store_id=g.store_id,
        registry_status=g.status,
        online=h.online,
        stale=h.stale,
        last_seen_at=g.last_seen_at,
        version=g.version,
        outbox_depth=g.outbox_depth,
        cache_version=g.cache_version,
        clock_skew_seconds=g.clock_skew_seconds,
        skew_flagged=g.skew_flagged,
        dead_letters_today=letters.kept if letters else 0,
        dead_letter_bytes_today=letters.kept_bytes if letters else 0,
        dead_letters_dropped_today=letters.dropped if letters else 0,
        dead_letters_capped=bool(letters and letters.dropped),
    )
