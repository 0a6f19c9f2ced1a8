"""WeCom's callback crypto against the vectors WeCom publishes in its documentation and
samples (token QDG6eK, corp wx5823bf96d3bd56c7), and against messages encrypted the way
its sample code does (tests/support/wecom_sample.py)."""

import pytest

from hub.crm.leads import wecom_crypto, wecom_message
from tests.support.wecom_sample import (
    DOC_AES_KEY,
    DOC_CORP_ID,
    DOC_TOKEN,
    WecomSender,
    text_message,
)

# GET /?msg_signature=...&timestamp=1409659589&nonce=263014780&echostr=... (URL check)
ECHO = "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ=="
ECHO_SIGNATURE = "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3"
# POST /cgi-bin/wxpush?msg_signature=...&timestamp=1409659813&nonce=1372623149
POST_SIGNATURE = "477715d11cdb4164915debcba66cb864d751f3e6"
POST_ENCRYPT = (
    "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3Qczc"
    "dCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLj"
    "vd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMn"
    "vw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k"
    "22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2Yoy"
    "yH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
)
KEY = wecom_crypto.aes_key(DOC_AES_KEY)


def test_the_documented_url_check_signs_and_decrypts_to_its_echo() -> None:
    assert wecom_crypto.signature(DOC_TOKEN, "1409659589", "263014780", ECHO) == ECHO_SIGNATURE
    assert wecom_crypto.decrypt(KEY, ECHO, DOC_CORP_ID) == b"1616140317555161061"


def test_the_documented_message_signs_and_decrypts() -> None:
    signed = wecom_crypto.signature(DOC_TOKEN, "1409659813", "1372623149", POST_ENCRYPT)
    assert signed == POST_SIGNATURE
    msg = wecom_message.message(wecom_crypto.decrypt(KEY, POST_ENCRYPT, DOC_CORP_ID))
    assert (msg.msg_type, msg.from_user, msg.content) == ("text", "mycreate", "hello")
    assert msg.msg_id == "4561255354251345929"
    assert int(msg.created.timestamp()) == 1409659813


def test_a_message_encrypted_as_the_sample_does_round_trips() -> None:
    sender = WecomSender(DOC_TOKEN, DOC_AES_KEY, DOC_CORP_ID)
    xml = text_message("wmAbc", "想买血压计", "777", 1764720000, DOC_CORP_ID)
    query, body = sender.post(xml)
    envelope = wecom_message.envelope(body)
    wecom_crypto.check_signature(
        DOC_TOKEN, query["timestamp"], query["nonce"], envelope.encrypted, query["msg_signature"]
    )
    assert wecom_crypto.decrypt(KEY, envelope.encrypted, DOC_CORP_ID).decode() == xml


def test_another_corps_message_and_a_forged_signature_are_refused() -> None:
    other = WecomSender(DOC_TOKEN, DOC_AES_KEY, "wwOtherCorp")
    with pytest.raises(wecom_crypto.WecomRejected, match="receiveid"):
        wecom_crypto.decrypt(KEY, other.encrypt("<xml/>"), DOC_CORP_ID)
    with pytest.raises(wecom_crypto.WecomRejected, match="msg_signature"):
        wecom_crypto.check_signature(DOC_TOKEN, "1", "2", POST_ENCRYPT, "0" * 40)


@pytest.mark.parametrize(
    "bad", ["not base64!", "", "AAAA", ECHO[:-4] + "AAA="], ids=["b64", "empty", "short", "tail"]
)
def test_garbage_ciphertext_is_refused_not_crashed(bad: str) -> None:
    with pytest.raises(wecom_crypto.WecomRejected):
        wecom_crypto.decrypt(KEY, bad, DOC_CORP_ID)


def test_xml_with_a_dtd_is_refused_before_parsing() -> None:
    bomb = b'<!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    with pytest.raises(wecom_crypto.WecomRejected, match="DTD"):
        wecom_message.envelope(bomb)
