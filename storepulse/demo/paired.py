"""A paired store device for the demo's own watcher and the end-to-end tests: a pairing
code made through the gateway's device file, entered at `POST /device/pair` as a tablet
would, the cookie and CSRF token kept for later requests."""

import asyncio
from dataclasses import dataclass

import httpx

from edge.gateway import Gateway
from edge.store_device.access import CSRF_HEADER
from edge.store_device.pairing import PairingCode, new_code


@dataclass(frozen=True)
class PairedDevice:
    device_id: str
    cookie: str  # 'name=token', for a Cookie header
    csrf_token: str

    @property
    def headers(self) -> dict[str, str]:
        """What every request of this device carries (the CSRF token matters on POSTs)."""
        return {"Cookie": self.cookie, CSRF_HEADER: self.csrf_token}


async def pairing_code(gateway: Gateway, name: str) -> PairingCode:
    return await asyncio.to_thread(new_code, gateway.device_db, name)


async def pair_device(page_url: str, code: str, verify: bool | str = True) -> PairedDevice:
    async with httpx.AsyncClient(timeout=10.0, verify=verify) as client:
        response = await client.post(f"{page_url}/device/pair", json={"code": code})
        response.raise_for_status()
    body = response.json()
    ((name, token),) = response.cookies.items()
    return PairedDevice(body["device_id"], f"{name}={token}", body["csrf_token"])


async def paired_with(gateway: Gateway, page_url: str, name: str) -> PairedDevice:
    code = await pairing_code(gateway, name)
    return await pair_device(page_url, code.code)
