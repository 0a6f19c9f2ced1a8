"""The field reference of docs/wire.md, rendered from the models' JSON Schemas.

`python -m wire.reference docs/wire.md` rewrites the part between the markers;
`--check` exits 1 when the file differs from what the models say (the test suite runs it),
so the doc cannot drift from the contract.
"""

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter

from wire.codec import CommandAdapter
from wire.events import EventAdapter
from wire.limits import NUL_FREE
from wire.messages import Ack, CacheDelta, EventBatch, GatewayStatus

BEGIN = "<!-- wire.reference: generated from wire/ by `python -m wire.reference`; do not edit -->"
END = "<!-- wire.reference: end -->"
Schema = dict[str, Any]
# What a gateway author reads first, in that order; nested models follow where first used.
ROOTS: tuple[tuple[str, type[BaseModel] | TypeAdapter[Any]], ...] = (
    ("EventBatch", EventBatch),
    ("Event", EventAdapter),
    ("Ack", Ack),
    ("GatewayStatus", GatewayStatus),
    ("CacheDelta", CacheDelta),
    ("Command", CommandAdapter),
)
_RULES = (
    ("minLength", "length ≥ {}"),
    ("maxLength", "length ≤ {}"),
    ("minItems", "{}+ items"),
    ("maxItems", "≤ {} items"),
    ("minimum", "≥ {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMinimum", "> {}"),
    ("exclusiveMaximum", "< {}"),
)


_LEGEND = (
    "Types: `string (date-time)` is ISO 8601 **with** an offset (`Z` or `+08:00`; a naive",
    "time is refused) that stays within years 1–9999 in UTC; `string (uuid)` is a UUID in",
    "its hex form; `integer` is a JSON integer (`1.0` and `true` are not). Strings hold no",
    "NUL character. A field marked `no` may be left out and then has its default.",
)


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _link(name: str) -> str:
    return f"[`{name}`](#{name.lower().replace(' ', '-')})"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _options(node: Schema) -> list[Schema]:
    options: list[Schema] = node.get("anyOf") or node.get("oneOf") or []
    return options


def _mapping_key(node: Schema) -> frozenset[str] | None:
    mapping = node.get("discriminator", {}).get("mapping")
    return frozenset(mapping) if mapping else None


def _rules_of(node: Schema) -> list[str]:
    """Constraints of a field, including those inside a nullable `anyOf`."""
    parts: list[str] = []
    for option in [node, *_options(node)]:
        parts += [text.format(option[key]) for key, text in _RULES if key in option]
        if "pattern" in option and option["pattern"] != NUL_FREE:  # the legend says so
            parts.append(f"pattern `{option['pattern']}`")
        if option.get("type") == "array" and "items" in option:
            parts += [f"each {rule}" for rule in _rules_of(option["items"])]
    return parts


def _default_of(node: Schema) -> str:
    if "default" in node:
        return json.dumps(node["default"], ensure_ascii=False)
    # the wire models' only default factory is `list`, which JSON Schema does not show
    return "[]" if node.get("type") == "array" else "null"


class _Reference:
    """Renders models of one JSON Schema family; unions named in ROOTS are linked by name."""

    def __init__(self, unions: dict[frozenset[str], str]) -> None:
        self.unions = unions
        self.defs: Schema = {}
        self.seen: set[str] = set()
        self.tags: dict[str, str] = {}  # union member -> its discriminator field

    def type_of(self, node: Schema) -> str:
        if "$ref" in node:
            target = self.defs.get(_ref_name(node["$ref"]), {})
            # a StrEnum: its values say more than its name
            return self.type_of(target) if "enum" in target else _link(_ref_name(node["$ref"]))
        if (key := _mapping_key(node)) in self.unions:
            return _link(self.unions[key])
        if "const" in node:
            return f"`{json.dumps(node['const'], ensure_ascii=False)}`"
        if "enum" in node:
            return " / ".join(f"`{json.dumps(v, ensure_ascii=False)}`" for v in node["enum"])
        if options := _options(node):
            shown = [o for o in options if o != {"type": "null"}]
            text = " or ".join(self.type_of(o) for o in shown)
            return f"{text} or `null`" if len(shown) < len(options) else text
        if node.get("type") == "array":
            return f"array of {self.type_of(node.get('items', {}))}"
        kind = str(node.get("type", "any"))
        return f"{kind} ({node['format']})" if "format" in node else kind

    def model_table(self, name: str, schema: Schema) -> list[str]:
        lines = [f"#### {name}", ""]
        if schema.get("description"):
            lines += [_cell(" ".join(str(schema["description"]).split())), ""]
        lines += ["| field | type | required | rules | meaning |", "|---|---|---|---|---|"]
        # the discriminator picks the member, so it is required whatever its default
        required = {*schema.get("required", []), *filter(None, [self.tags.get(name)])}
        for field, node in schema.get("properties", {}).items():
            need = "yes" if field in required else f"no, default `{_default_of(node)}`"
            rules = ", ".join(_rules_of(node)) or "—"
            cells = (f"`{field}`", self.type_of(node), need, rules, node.get("description", ""))
            lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
        return [*lines, ""]

    def union_tables(self, name: str, schema: Schema) -> tuple[list[str], Schema]:
        """The union's table, and what to walk next: the bodies of enveloped members (their
        envelope is shown once, as `{name} envelope`), else the members themselves."""
        field = schema["discriminator"]["propertyName"]
        refs = schema["discriminator"]["mapping"]
        members = {key: self.defs[_ref_name(ref)] for key, ref in refs.items()}
        enveloped = all("body" in m.get("properties", {}) for m in members.values())
        lines = [f"#### {name}", "", f"One of these, chosen by `{field}`:", ""]
        lines += [f"| `{field}` | {'body' if enveloped else 'model'} |", "|---|---|"]
        for key, member in members.items():
            target = member["properties"]["body"] if enveloped else {"$ref": refs[key]}
            lines.append(f"| `{key}` | {self.type_of(target)} |")
        lines.append("")
        if not enveloped:
            self.tags.update({_ref_name(ref): field for ref in refs.values()})
            return lines, {"members": [{"$ref": ref} for ref in refs.values()]}
        envelope = dict(next(iter(members.values())))
        envelope["properties"] = {
            **envelope["properties"],
            field: {"type": "string", "description": "one of the values above"},
            "body": {"type": "object", "description": f"the body model of its `{field}`"},
        }
        envelope["required"] = [*envelope.get("required", []), field]
        envelope["description"] = f"Every {name.lower()} has these fields."
        lines += self.model_table(f"{name} envelope", envelope)
        return lines, {"bodies": [m["properties"]["body"] for m in members.values()]}

    def walk(self, name: str, schema: Schema) -> Iterator[list[str]]:
        if name in self.seen or "enum" in schema:  # enums are shown inline where used
            return
        self.seen.add(name)
        follow: Schema = schema
        if "discriminator" in schema:
            lines, follow = self.union_tables(name, schema)
            yield lines
        else:
            yield self.model_table(name, schema)
        for ref in self.refs_in(follow):
            yield from self.walk(_ref_name(ref), self.defs[_ref_name(ref)])

    def refs_in(self, node: Any) -> Iterator[str]:
        """Models referred to, except through a union that has its own root."""
        if isinstance(node, dict):
            if _mapping_key(node) in self.unions:
                return
            if isinstance(node.get("$ref"), str):
                yield node["$ref"]
            for key, value in node.items():
                if key != "$defs":
                    yield from self.refs_in(value)
        elif isinstance(node, list):
            for item in node:
                yield from self.refs_in(item)


def _schema_of(model: type[BaseModel] | TypeAdapter[Any]) -> Schema:
    if isinstance(model, TypeAdapter):
        return model.json_schema()
    return model.model_json_schema()


def render() -> str:
    """The generated block, markers included."""
    schemas = [(name, _schema_of(model)) for name, model in ROOTS]
    unions = {key: name for name, s in schemas if (key := _mapping_key(s)) is not None}
    reference = _Reference(unions)
    body: list[str] = []
    for name, schema in schemas:
        reference.defs = schema.get("$defs", {})
        body += [line for block in reference.walk(name, schema) for line in block]
    return "\n".join([BEGIN, "", *_LEGEND, "", *body, END])


def splice(document: str, generated: str) -> str:
    start, end = document.find(BEGIN), document.find(END)
    if start < 0 or end < start:
        raise ValueError("the document lacks the wire.reference markers")
    return document[:start] + generated + document[end + len(END) :]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("document", type=Path)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    current = args.document.read_text(encoding="utf-8")
    wanted = splice(current, render())
    if args.check:
        if wanted != current:
            print(f"{args.document} is stale: run python -m wire.reference {args.document}")
            return 1
        return 0
    args.document.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
