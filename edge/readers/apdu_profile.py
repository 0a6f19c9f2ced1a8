"""APDU profiles: how to get a card number out of a contact card, as data (docs/apdu-profile.md).

A new card layout is a new `ApduProfile` entry in `PROFILES`, not a code branch. The
exchange logic talks to the card through a plain `Transmit` function, so it does not
know about PC/SC. Nothing here puts a card number into an error message.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from edge.errors import CardReadError

SW_OK = 0x9000
GET_RESPONSE = bytes([0x00, 0xC0, 0x00, 0x00])
MAX_GET_RESPONSE_ROUNDS = 4  # a well-behaved card needs one; more is a looping card

# An APDU in, (response data, SW) out. Raises CardReadError/ReaderError itself.
Transmit = Callable[[bytes], tuple[bytes, int]]
CheckDigit = Literal["none", "gb11643"]

_GB11643_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_GB11643_CHECK = "10X98765432"


class CardRejected(CardReadError):
    """The card answered, but not with a valid number. `sw` is the offending status word (or
    b"" when the SW was fine and the data was not); it never holds card data."""

    def __init__(self, reason: str, sw: bytes = b"") -> None:
        super().__init__(reason)
        self.reason = reason
        self.sw = sw


@dataclass(frozen=True)
class ApduProfile:
    name: str
    aid: bytes  # selected with SELECT by DF name, no FCI requested (P2=0C)
    read_apdu: bytes  # case-2 APDU whose answer is the number in ASCII
    number_pattern: str  # full match over the decoded ASCII
    max_length: int  # longest answer (bytes) accepted; anything longer is garbage
    check_digit: CheckDigit = "none"

    @property
    def select_apdu(self) -> bytes:
        return bytes([0x00, 0xA4, 0x04, 0x0C, len(self.aid)]) + self.aid

    def read_number(self, transmit: Transmit) -> str:
        """Run the profile's APDUs and return the validated number."""
        _, sw = transmit(self.select_apdu)
        if sw != SW_OK:
            raise CardRejected(f"SELECT {self.aid.hex().upper()} answered SW {sw:04X}", _sw(sw))
        return self.parse_number(self._read(transmit))

    def parse_number(self, data: bytes) -> str:
        if len(data) > self.max_length:
            raise CardRejected(f"number has {len(data)} bytes, at most {self.max_length} allowed")
        # Checked rather than caught: a UnicodeDecodeError would carry the raw bytes along.
        if not data.isascii():
            raise CardRejected(f"{len(data)}-byte answer is not ASCII")
        text = data.decode("ascii")
        if not re.fullmatch(self.number_pattern, text):
            raise CardRejected(f"{len(data)}-byte answer does not match the {self.name} pattern")
        if self.check_digit == "gb11643" and not gb11643_valid(text):
            raise CardRejected("number fails its GB 11643 check digit")
        return text

    def _read(self, transmit: Transmit) -> bytes:
        data, sw = transmit(self.read_apdu)
        if sw >> 8 == 0x6C:  # wrong Le: the card says how many bytes it has; ask once more
            wanted = sw & 0xFF or 256
            if wanted > self.max_length:
                reason = f"card offers {wanted} bytes, at most {self.max_length} allowed"
                raise CardRejected(reason, _sw(sw))
            data, sw = transmit(self.read_apdu[:-1] + bytes([sw & 0xFF]))
        rounds = 0
        while sw >> 8 == 0x61:  # more data waiting: GET RESPONSE, bounded by max_length
            rounds += 1
            if rounds > MAX_GET_RESPONSE_ROUNDS or len(data) > self.max_length:
                raise CardRejected("card keeps answering 61xx", _sw(sw))
            more, sw = transmit(GET_RESPONSE + bytes([sw & 0xFF]))
            data += more
        if sw != SW_OK:
            raise CardRejected(f"READ answered SW {sw:04X}", _sw(sw))
        return data


def gb11643_valid(number: str) -> bool:
    """ISO 7064 MOD 11-2 check digit of an 18-character Chinese resident ID number."""
    if len(number) != 18 or not number[:17].isdigit():
        return False
    total = sum(int(d) * w for d, w in zip(number[:17], _GB11643_WEIGHTS, strict=True))
    return _GB11643_CHECK[total % 11] == number[17]


def _sw(sw: int) -> bytes:
    return sw.to_bytes(2, "big")


SP_ID_V1 = ApduProfile(
    name="sp-id-v1",
    aid=bytes.fromhex("F05350494401"),  # F0 = proprietary RID range, then "SPID", version 1
    read_apdu=bytes.fromhex("00B0000012"),  # READ BINARY offset 0, Le = 18
    number_pattern=r"[0-9]{17}[0-9X]",
    max_length=18,
    check_digit="gb11643",
)

PROFILES: dict[str, ApduProfile] = {profile.name: profile for profile in (SP_ID_V1,)}
