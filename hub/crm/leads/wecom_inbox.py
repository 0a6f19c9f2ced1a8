"""WeCom's callback, as a channel of leads: the URL check (echo the decrypted echostr) and
a message (check msg_signature, decrypt, check the receiveid, and capture a lead when a
keyword rule matches). Anything WeCom did not sign is refused before it is decrypted."""

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from hub.auth.scope import Role, Scope
from hub.crm.identity_keys import wecom_key
from hub.crm.leads import wecom_crypto, wecom_message
from hub.crm.leads.capture import Captured, NewLead, capture
from hub.crm.leads.config import LeadSettings, WecomCallback
from hub.crm.leads.keywords import tags_for

log = logging.getLogger(__name__)
SOURCE = "wecom"


@dataclass(frozen=True)
class Signed:
    """The query WeCom adds to every callback."""

    msg_signature: str
    timestamp: str
    nonce: str


def verify_url(config: WecomCallback, signed: Signed, echostr: str) -> str:
    """The plaintext of `echostr`, which WeCom expects back to accept the URL."""
    _checked(config, signed, echostr)
    key = wecom_crypto.aes_key(config.encoding_aes_key.get_secret_value())
    return wecom_crypto.decrypt(key, echostr, config.corp_id).decode()


def receive(
    session: Session, settings: LeadSettings, signed: Signed, body: bytes, now: datetime
) -> Captured | None:
    """The lead a keyword message makes (the same lead on a redelivery); None for a message
    that matches no rule or is not text. WecomRejected when it is not WeCom's."""
    config = settings.wecom
    if config is None:
        raise wecom_crypto.WecomRejected("no WeCom callback configured")
    sealed = wecom_message.envelope(body)
    _checked(config, signed, sealed.encrypted)
    key = wecom_crypto.aes_key(config.encoding_aes_key.get_secret_value())
    msg = wecom_message.message(wecom_crypto.decrypt(key, sealed.encrypted, config.corp_id))
    if msg.msg_type != "text":
        return None
    tags = tags_for(msg.content, settings.keywords)
    if not tags:
        return None
    scope = Scope(config.tenant_id, Role.INTEGRATION, f"wecom:{config.corp_id}")
    new = NewLead(
        source=SOURCE,
        source_id=msg.msg_id,
        captured_at=msg.created,
        keys=[wecom_key(msg.from_user)],
        note=msg.content[:2000],
        tags=tags,
        store_id=config.store_id,
    )
    return capture(session, scope, new, settings.weights, now)


def _checked(config: WecomCallback, signed: Signed, encrypted: str) -> None:
    token = config.token.get_secret_value()
    try:
        wecom_crypto.check_signature(
            token, signed.timestamp, signed.nonce, encrypted, signed.msg_signature
        )
    except wecom_crypto.WecomRejected:
        log.warning("WeCom callback refused: bad msg_signature (timestamp %s)", signed.timestamp)
        raise
