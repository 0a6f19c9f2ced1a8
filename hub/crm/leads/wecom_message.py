"""The XML WeCom posts to a callback, and the message inside it. No DTD is accepted, so no
entity can expand (the billion-laughs and external-entity attacks need one)."""

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime

from hub.crm.leads.wecom_crypto import WecomRejected

MAX_XML_BYTES = 64 * 1024


@dataclass(frozen=True)
class Envelope:
    to_user: str  # the corp id
    encrypted: str


@dataclass(frozen=True)
class WecomMessage:
    msg_id: str
    from_user: str  # a member's userid or a customer's external_userid
    msg_type: str
    content: str
    created: datetime


def _parse(xml: bytes) -> ET.Element:
    if len(xml) > MAX_XML_BYTES:
        raise WecomRejected("bad xml", "too large")
    if b"<!" in xml.replace(b"<![CDATA[", b""):
        raise WecomRejected("bad xml", "a DTD or declaration is not accepted")
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise WecomRejected("bad xml", str(exc)) from exc


def _text(root: ET.Element, tag: str, required: bool = True) -> str:
    found = root.findtext(tag)
    if found is None and required:
        raise WecomRejected("bad xml", f"no <{tag}>")
    return (found or "").strip()


def envelope(xml: bytes) -> Envelope:
    root = _parse(xml)
    return Envelope(to_user=_text(root, "ToUserName", False), encrypted=_text(root, "Encrypt"))


def message(xml: bytes) -> WecomMessage:
    root = _parse(xml)
    created = _text(root, "CreateTime")
    if not created.isdigit() or len(created) > 12:
        raise WecomRejected("bad xml", "CreateTime is not a Unix time")
    msg_type = _text(root, "MsgType")
    return WecomMessage(
        msg_id=_text(root, "MsgId", required=msg_type == "text")[:128],
        from_user=_text(root, "FromUserName")[:128],
        msg_type=msg_type,
        content=_text(root, "Content", False),
        created=datetime.fromtimestamp(int(created), UTC),
    )
