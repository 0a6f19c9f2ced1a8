"""WeCom's callback crypto, as its WXBizMsgCrypt sample does it: msg_signature is the SHA1
of token, timestamp, nonce and the ciphertext, sorted and joined; the ciphertext is
base64 of AES-256-CBC (key = base64decode(EncodingAESKey + "="), IV = the key's first 16
bytes) over PKCS#7 padding to 32 bytes of: 16 random bytes, the message's length as 4
bytes big-endian, the message, and the receiveid (the corp id)."""

import base64
import binascii
import hashlib
import hmac

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from hub.errors import RejectedError

BLOCK = 32  # WeCom pads to 32 bytes, not AES's 16
RANDOM_PREFIX = 16


class WecomRejected(RejectedError):
    """A callback WeCom did not send, or sent for another receiver: nothing is stored."""


def aes_key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error as exc:
        raise WecomRejected("bad EncodingAESKey", "not base64") from exc
    if len(key) != 32:
        raise WecomRejected("bad EncodingAESKey", "not 32 bytes")
    return key


def signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    joined = "".join(sorted([token, timestamp, nonce, encrypted]))
    return hashlib.sha1(joined.encode()).hexdigest()


def check_signature(
    token: str, timestamp: str, nonce: str, encrypted: str, msg_signature: str
) -> None:
    expected = signature(token, timestamp, nonce, encrypted)
    if not hmac.compare_digest(expected, msg_signature.strip().lower()):
        raise WecomRejected("bad msg_signature")


def decrypt(key: bytes, encrypted: str, receive_id: str) -> bytes:
    """The message inside `encrypted`; WecomRejected unless it is well formed and for
    `receive_id`."""
    try:
        sealed = base64.b64decode(encrypted, validate=True)
    except binascii.Error as exc:
        raise WecomRejected("bad ciphertext", "not base64") from exc
    if not sealed or len(sealed) % 16:
        raise WecomRejected("bad ciphertext", "not whole AES blocks")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    padded = decryptor.update(sealed) + decryptor.finalize()
    plain = _unpad(padded)
    if len(plain) < RANDOM_PREFIX + 4:
        raise WecomRejected("bad ciphertext", "too short")
    size = int.from_bytes(plain[RANDOM_PREFIX : RANDOM_PREFIX + 4], "big")
    start = RANDOM_PREFIX + 4
    if start + size > len(plain):
        raise WecomRejected("bad ciphertext", "length past the end")
    if not hmac.compare_digest(plain[start + size :], receive_id.encode()):
        raise WecomRejected("wrong receiveid", "sent for another corp")
    return plain[start : start + size]


def _unpad(padded: bytes) -> bytes:
    pad = padded[-1]
    if not 1 <= pad <= BLOCK or padded[-pad:] != bytes([pad]) * pad:
        raise WecomRejected("bad ciphertext", "bad padding")
    return padded[:-pad]
