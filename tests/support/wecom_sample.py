"""WeCom's side of a callback, written from its WXBizMsgCrypt sample (Prpcrypt.encrypt,
PKCS7Encoder, SHA1.getSHA1) step for step, so tests send what WeCom sends without using
the hub's decryptor: 16 random letters and digits, struct.pack("I", htonl(len)), the
message, the corp id; padded to 32-byte blocks; AES-CBC with the key's first 16 bytes as
IV; base64. Only the AES itself comes from `cryptography` (the sample used pycrypto)."""

import base64
import hashlib
import random
import socket
import string
import struct
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# The configuration of WeCom's own documentation and samples, with their published vectors.
DOC_TOKEN = "QDG6eK"
DOC_AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
DOC_CORP_ID = "wx5823bf96d3bd56c7"


class WecomSender:
    def __init__(self, token: str, encoding_aes_key: str, corp_id: str) -> None:
        self.token = token
        self.key = base64.b64decode(encoding_aes_key + "=")
        self.corp_id = corp_id.encode()

    def encrypt(self, text: str) -> str:
        rule = string.ascii_letters + string.digits
        prefix = "".join(random.sample(rule, 16)).encode()
        raw = text.encode()
        plain = prefix + struct.pack("I", socket.htonl(len(raw))) + raw + self.corp_id
        amount_to_pad = 32 - (len(plain) % 32)
        plain += chr(amount_to_pad).encode() * amount_to_pad
        cryptor = Cipher(algorithms.AES(self.key), modes.CBC(self.key[:16])).encryptor()
        return base64.b64encode(cryptor.update(plain) + cryptor.finalize()).decode()

    def sign(self, timestamp: str, nonce: str, encrypt: str) -> str:
        sortlist = [self.token, timestamp, nonce, encrypt]
        sortlist.sort()
        return hashlib.sha1("".join(sortlist).encode()).hexdigest()

    def post(self, message_xml: str, nonce: str = "1372623149") -> tuple[dict[str, str], bytes]:
        """The query and body of a callback POST carrying `message_xml`."""
        encrypt = self.encrypt(message_xml)
        timestamp = str(int(time.time()))
        query = {
            "msg_signature": self.sign(timestamp, nonce, encrypt),
            "timestamp": timestamp,
            "nonce": nonce,
        }
        body = (
            f"<xml><ToUserName><![CDATA[{self.corp_id.decode()}]]></ToUserName>"
            f"<Encrypt><![CDATA[{encrypt}]]></Encrypt><AgentID><![CDATA[218]]></AgentID></xml>"
        )
        return query, body.encode()


def text_message(from_user: str, content: str, msg_id: str, created: int, corp: str) -> str:
    """A text message as WeCom's documentation shows it."""
    return (
        f"<xml><ToUserName><![CDATA[{corp}]]></ToUserName>"
        f"<FromUserName><![CDATA[{from_user}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId>"
        f"<AgentID>218</AgentID></xml>"
    )
