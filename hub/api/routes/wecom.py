"""WeCom's callback for leads ("接收消息" of a self-built app). WeCom authenticates itself
by msg_signature (SHA1 over the shared token), not with a bearer token or an API key, so
these two routes take no credential; a request whose signature does not check is refused
with 403, logged, and stores nothing. WeCom waits 5 seconds for the answer; it gets an
empty 200 (no passive reply) as soon as the lead is committed."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import PlainTextResponse
from starlette.concurrency import run_in_threadpool

from hub.api.deps import SessionFactoryDep, SettingsDep
from hub.api.schemas import Problem
from hub.crm.leads import wecom_inbox
from hub.crm.leads.config import WecomCallback
from hub.crm.leads.wecom_crypto import WecomRejected
from hub.crm.leads.wecom_message import MAX_XML_BYTES
from hub.settings import HubSettings

PATH = "/leads/wecom/callback"
# Not in the OpenAPI document: WeCom calls it as its own callback protocol says (signed
# query, encrypted XML, plain-text answers), no client of ours does (docs/crm/leads.md).
router = APIRouter(
    include_in_schema=False,
    tags=["leads"],
    responses={
        403: {"model": Problem, "description": "not signed by WeCom, or for another corp"},
        404: {"model": Problem, "description": "no WeCom callback configured"},
    },
)
Text = Annotated[str, Query(min_length=1, max_length=200)]
EchoStr = Annotated[str, Query(min_length=1, max_length=1000)]
_XML_BODY = {
    "requestBody": {"content": {"text/xml": {"schema": {"type": "string"}}}, "required": True}
}


@router.get(PATH, response_class=PlainTextResponse)
def verify_url(
    settings: SettingsDep, msg_signature: Text, timestamp: Text, nonce: Text, echostr: EchoStr
) -> PlainTextResponse:
    """WeCom's URL check: the decrypted `echostr`, as plain text."""
    config = _config(settings)
    signed = wecom_inbox.Signed(msg_signature, timestamp, nonce)
    try:
        return PlainTextResponse(wecom_inbox.verify_url(config, signed, echostr))
    except WecomRejected as exc:
        raise HTTPException(status_code=403, detail=exc.reason) from exc


@router.post(PATH, response_class=PlainTextResponse, openapi_extra=_XML_BODY)
async def receive(
    request: Request,
    sessions: SessionFactoryDep,
    settings: SettingsDep,
    msg_signature: Text,
    timestamp: Text,
    nonce: Text,
) -> PlainTextResponse:
    """A message: a lead when a keyword rule of `[leads]` matches (once per MsgId)."""
    _config(settings)
    body = await request.body()
    if len(body) > MAX_XML_BYTES:
        raise HTTPException(status_code=413, detail="body too large")
    signed = wecom_inbox.Signed(msg_signature, timestamp, nonce)

    def work() -> None:
        with sessions.begin() as session:
            wecom_inbox.receive(session, settings.leads, signed, body, datetime.now(UTC))

    try:
        await run_in_threadpool(work)
    except WecomRejected as exc:
        raise HTTPException(status_code=403, detail=exc.reason) from exc
    return PlainTextResponse("")


def _config(settings: HubSettings) -> WecomCallback:
    if settings.leads.wecom is None:
        raise HTTPException(status_code=404, detail="no WeCom callback configured")
    return settings.leads.wecom
