"""Keyword rules: a message that contains a configured keyword makes a lead, tagged by
every rule it matches (in the rules' order, each tag once)."""

from collections.abc import Sequence

from hub.crm.leads.config import KeywordRule


def tags_for(text: str, rules: Sequence[KeywordRule]) -> tuple[str, ...]:
    """The tags of the rules whose keyword `text` contains; () when none matches."""
    found: dict[str, None] = {}
    for rule in rules:
        if rule.keyword in text:
            found.update(dict.fromkeys(rule.tags))
    return tuple(found)
