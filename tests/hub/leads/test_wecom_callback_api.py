"""WeCom's callback through the API, as WeCom calls it: the URL check with WeCom's own
documented vector, and keyword messages encrypted the way its sample code encrypts
(tests/support/wecom_sample.py), on PostgreSQL."""

import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from hub.api import build_api
from hub.crm.leads.config import LeadSettings, WecomCallback
from hub.db.models import Identity, Lead
from hub.demo.seed import SeedResult
from tests.hub.conftest import TENANT_KEY
from tests.hub.leads.test_wecom_crypto import ECHO, ECHO_SIGNATURE
from tests.support.hub_auth import TENANT, hub_settings
from tests.support.wecom_sample import (
    DOC_AES_KEY,
    DOC_CORP_ID,
    DOC_TOKEN,
    WecomSender,
    text_message,
)

PATH = "/leads/wecom/callback"
CONFIG = WecomCallback(
    tenant_id=TENANT,
    corp_id=DOC_CORP_ID,
    token=SecretStr(DOC_TOKEN),
    encoding_aes_key=SecretStr(DOC_AES_KEY),
    store_id="store-sh-xuhui",
)
WECOM = WecomSender(DOC_TOKEN, DOC_AES_KEY, DOC_CORP_ID)


@pytest.fixture
def api(sessions: sessionmaker[Session], seeded: SeedResult) -> Iterator[TestClient]:
    settings = hub_settings(TENANT_KEY, leads=LeadSettings(wecom=CONFIG))
    client = TestClient(build_api(settings, sessions))
    yield client
    client.close()


def _leads(sessions: sessionmaker[Session]) -> list[Lead]:
    with sessions() as session:
        return list(session.scalars(select(Lead).order_by(Lead.captured_at)))


def _send(api: TestClient, content: str, msg_id: str, user: str = "wmCustomer01") -> int:
    query, body = WECOM.post(text_message(user, content, msg_id, 1764720000, DOC_CORP_ID))
    answer = api.post(PATH, params=query, content=body, headers={"Content-Type": "text/xml"})
    return answer.status_code


def test_the_url_check_answers_the_decrypted_echostr(api: TestClient) -> None:
    query = {
        "msg_signature": ECHO_SIGNATURE,
        "timestamp": "1409659589",
        "nonce": "263014780",
        "echostr": ECHO,
    }
    answer = api.get(PATH, params=query)
    assert answer.status_code == 200
    assert answer.text == "1616140317555161061"
    forged = api.get(PATH, params={**query, "nonce": "1"})
    assert forged.status_code == 403


def test_a_keyword_message_makes_one_tagged_lead(
    api: TestClient, sessions: sessionmaker[Session]
) -> None:
    assert _send(api, "你好，请问有血压计吗？", "msg-1001") == 200
    assert _send(api, "你好，请问有血压计吗？", "msg-1001") == 200  # WeCom retries
    [lead] = _leads(sessions)
    assert (lead.source, lead.source_id, lead.store_id) == ("wecom", "msg-1001", "store-sh-xuhui")
    assert lead.tags == ["血压计", "器械"]
    assert lead.score == 40  # wecom 30 + two tags 5 each; nothing else known yet
    with sessions() as session:
        holder = session.scalar(
            select(Identity.customer_id).where(
                Identity.kind == "wecom_id", Identity.value == "wmCustomer01"
            )
        )
    assert holder == lead.customer_id


def test_each_keyword_adds_its_rule_tags_and_other_messages_make_none(
    api: TestClient, sessions: sessionmaker[Session]
) -> None:
    assert _send(api, "早上好", "msg-2000") == 200
    assert _leads(sessions) == []
    assert _send(api, "降压药和血压计都要", "msg-2001", user="wmCustomer02") == 200
    [lead] = _leads(sessions)
    assert lead.tags == ["血压计", "器械", "health:降压药", "慢病"]


def test_a_bad_signature_is_refused_logged_and_stores_nothing(
    api: TestClient, sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    query, body = WECOM.post(text_message("wmX", "血压计", "msg-3000", 1764720000, DOC_CORP_ID))
    forged = {**query, "msg_signature": "0" * 40}
    with caplog.at_level(logging.WARNING, logger="hub.crm.leads.wecom_inbox"):
        answer = api.post(PATH, params=forged, content=body)
    assert answer.status_code == 403
    assert "msg_signature" in caplog.text
    other_corp = WecomSender(DOC_TOKEN, DOC_AES_KEY, "wwSomeoneElse")
    query, body = other_corp.post(text_message("wmX", "血压计", "m", 1764720000, DOC_CORP_ID))
    assert api.post(PATH, params=query, content=body).status_code == 403
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(Lead)) == 0


def test_without_a_configured_callback_it_is_404(
    sessions: sessionmaker[Session], seeded: SeedResult
) -> None:
    client = TestClient(build_api(hub_settings(TENANT_KEY), sessions))
    assert client.post(PATH, params={"msg_signature": "a", "timestamp": "1", "nonce": "2"},
                       content=b"<xml/>").status_code == 404  # fmt: skip
