"""What a dead letter may keep of a refused message: never a raw ID-card or phone number.

A refused message is kept for diagnosis, but it is refused precisely because something in it
is wrong, say a raw ID number where a hash belongs. A JSON payload is redacted by structure:
- a value that claims to be a hash (`id_hash`, `phone_hash`, `card_hash`) and is not one;
- in an `idcard.read` body, anything but `card_hash`, `profile` and `reader`, and all but
  the hash when the hash is not one (the number may then be anywhere);
- with `every_identifier` (the edge, whose POS records carry raw phones), the value of
  every `{kind, value}` identifier and every member number.
A payload that is not JSON (or too large to parse) keeps its text with long digit runs, the
shape of phone and ID numbers, blanked out (and, with `every_identifier`, the strings after
`"value":` and `"member_no":`). A payload with nothing to redact is kept byte
for byte.
"""

import json
import re
from typing import Any

from wire.identity import HASHED_KINDS, is_keyed_hash

REDACTED = "<redacted>"
MAX_PARSED_BYTES = 64 * 1024  # larger payloads are scrubbed as text, not parsed
_CARD_READ = frozenset({"card_hash", "profile", "reader"})
_HASH_KINDS = frozenset(kind.value for kind in HASHED_KINDS)
# CN mobiles are 11 digits, ID numbers 15 or 18 (the last may be X); not inside a hex hash
# or a UUID
# in JSON too broken to parse: the string after `"value":` or `"member_no":`
_QUOTED_IDENTIFIER = re.compile(rb'("(?:value|member_no)"\s*:\s*")[^"]*')
_DIGIT_RUN = re.compile(rb"(?<![0-9A-Fa-f-])[0-9]{11,}[0-9Xx]?(?![0-9A-Fa-f])")


def redact_payload(payload: bytes, *, every_identifier: bool = False) -> bytes:
    """`payload` with personal numbers replaced by REDACTED (see the module's docstring)."""
    if len(payload) <= MAX_PARSED_BYTES:
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError is a ValueError)
            pass
        else:
            if not redact_in_place(data, every_identifier=every_identifier):
                return payload  # byte for byte as received
            try:  # ASCII escapes: a lone surrogate (json.loads lets "\ud800" through) has no UTF-8
                return json.dumps(data).encode()
            except RecursionError:  # nested deeper than json.dumps goes
                pass
    if every_identifier:
        payload = _QUOTED_IDENTIFIER.sub(rb"\g<1>" + REDACTED.encode(), payload)
    return scrub_digit_runs(payload)


def scrub_digit_runs(raw: bytes) -> bytes:
    return _DIGIT_RUN.sub(REDACTED.encode(), raw)


def redact_in_place(data: Any, *, every_identifier: bool = False) -> int:
    """Redact the values of decoded JSON that may be personal numbers; how many were."""
    stack: list[Any] = [data]  # iterative: the document may nest ~1000 deep
    redacted = 0
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            redacted += _redact_object(node, every_identifier)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return redacted


def _redact_object(node: dict[str, Any], every_identifier: bool) -> int:
    doomed = []
    if "value" in node and "kind" in node:
        claims_hash = isinstance(node["kind"], str) and node["kind"] in _HASH_KINDS
        if every_identifier or (claims_hash and not is_keyed_hash(node["value"])):
            doomed.append("value")
    if "card_hash" in node and not is_keyed_hash(node["card_hash"]):
        doomed.append("card_hash")
    if every_identifier and "member_no" in node:
        doomed.append("member_no")
    for key in doomed:
        node[key] = REDACTED
    body = node.get("body")
    if node.get("type") == "idcard.read" and isinstance(body, dict):
        # A card read kept whole is a hash, a profile and a reader name. One with anything
        # else, or no real hash, may carry the number anywhere: it keeps only a real hash
        # (checked when the walk reaches the body).
        suspect = not is_keyed_hash(body.get("card_hash"))
        others = [k for k in body if k != "card_hash" and (suspect or k not in _CARD_READ)]
        for key in others:
            body[key] = REDACTED
        return len(doomed) + len(others)
    return len(doomed)
