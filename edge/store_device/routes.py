"""`/device/…`: pair this browser with a code, sign a clerk in and out, who am I.

- `POST /device/pair` `{"code"}`, open to any browser (Origin, if sent, must be this
  gateway): 200 `{"device_id", "name", "csrf_token"}` with the device cookie; 400 wrong,
  expired or used code; 429 too many wrong codes lately.
- `GET /device/me` (cookie): `{"device_id", "name", "clerk", "csrf_token"}`.
- `POST /device/clerk` `{"staff_id", "pin"}` (cookie + CSRF): 200 `{"staff_id", "name"}`;
  403 wrong clerk or PIN; 429 sign-in locked on this device after 5 wrong PINs.
- `POST /device/clerk/sign-out` (cookie + CSRF): 204.
"""

import asyncio
import logging
import time
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from edge.store_device.access import DeviceAccess, PairedRequest
from edge.store_device.clerks import hash_pin, verify_pin
from edge.store_device.pairing import redeem
from edge.store_device.registry import csrf_token

log = logging.getLogger(__name__)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PairRequest(_Body):
    code: str = Field(min_length=1, max_length=32)


class PairResponse(BaseModel):
    device_id: str
    name: str
    csrf_token: str


class SignInRequest(_Body):
    staff_id: str = Field(min_length=1, max_length=64)
    pin: str = Field(min_length=1, max_length=32)


class ClerkShown(BaseModel):
    staff_id: str
    name: str


class DeviceInfo(BaseModel):
    device_id: str
    name: str
    clerk: ClerkShown | None
    csrf_token: str


def build_device_router(access: DeviceAccess) -> APIRouter:
    router = APIRouter(prefix="/device")
    device = Annotated[PairedRequest, Depends(access.require_device)]
    writer = Annotated[PairedRequest, Depends(access.require_writer)]
    # An unknown staff id costs one scrypt too, so timing does not tell which ids exist.
    decoy_hash = hash_pin("0000")

    @router.post("/pair")
    async def pair(body: PairRequest, request: Request, response: Response) -> PairResponse:
        access.check_origin(request)
        result = await asyncio.to_thread(redeem, access.registry.db, body.code)
        if result == "rate_limited":
            log.warning("pairing refused: too many wrong codes lately")
            raise HTTPException(429, "too many wrong codes; wait a few minutes")
        if result == "invalid":
            log.warning("wrong, expired or used pairing code from %s", _peer(request))
            raise HTTPException(400, "wrong, expired or used pairing code")
        access.set_cookie(response, result.token)
        log.info("device %s (%s) paired from %s", result.device_id, result.name, _peer(request))
        return PairResponse(
            device_id=result.device_id, name=result.name, csrf_token=csrf_token(result.token)
        )

    @router.get("/me")
    async def me(paired: device) -> DeviceInfo:
        clerk = access.clerk_of(paired.device)
        return DeviceInfo(
            device_id=paired.device.device_id,
            name=paired.device.name,
            clerk=ClerkShown(staff_id=clerk.staff_id, name=clerk.name) if clerk else None,
            csrf_token=paired.csrf_token,
        )

    @router.post("/clerk")
    async def sign_in(body: SignInRequest, paired: writer) -> ClerkShown:
        device_id = paired.device.device_id
        if paired.device.pin_locked(time.time()):
            raise HTTPException(429, "too many wrong PINs on this device; wait 5 minutes")
        clerk = access.clerks.get(body.staff_id)
        pin_hash = clerk.pin_hash if clerk else decoy_hash
        matches = await asyncio.to_thread(verify_pin, body.pin, pin_hash)
        if clerk is None or not matches:
            await asyncio.to_thread(access.registry.pin_failed, device_id)
            log.warning("wrong clerk or PIN on device %s", device_id)
            raise HTTPException(403, "wrong clerk or PIN")
        until = time.time() + access.clerk_session_s
        await asyncio.to_thread(access.registry.sign_in, device_id, clerk.staff_id, until)
        log.info("clerk %s signed in on device %s", clerk.staff_id, device_id)
        return ClerkShown(staff_id=clerk.staff_id, name=clerk.name)

    @router.post("/clerk/sign-out", status_code=204)
    async def sign_out(paired: writer) -> Response:
        await asyncio.to_thread(access.registry.sign_out, paired.device.device_id)
        return Response(status_code=204)

    return router


def _peer(request: Request) -> str:
    return request.client.host if request.client else "?"
