"""The catalogues: the same keys and fields in every locale, and every string the page or
a prompt asks for is in them (read from the page's own files, so a new label cannot be
added in one place only)."""

import re
import string
from datetime import UTC, datetime

import pytest

from edge.catalogue import CATALOGUES, EN, ZH_CN
from edge.clerk_page import STATIC_DIR
from edge.prompts import PROMPT_TRIGGERS
from edge.store_locale import StoreLocale, zone_named
from wire.identity import IdentifierKind

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_locale_has_the_same_keys_and_fields() -> None:
    assert set(CATALOGUES) == {"zh-CN", "en"}
    for catalogue in CATALOGUES.values():
        assert catalogue.keys() == ZH_CN.keys()
        assert {k: fields(v) for k, v in catalogue.items()} == {
            k: fields(v) for k, v in ZH_CN.items()
        }


def test_chinese_is_chinese_and_english_is_not() -> None:
    for key, text in ZH_CN.items():
        assert CJK.search(text), f"zh-CN {key} has no Chinese: {text!r}"
        assert text != EN[key]
    assert not [k for k, v in EN.items() if CJK.search(v)]


def test_every_prompt_key_is_in_the_catalogue() -> None:
    needed = {f"identifier.{kind.value}" for kind in IdentifierKind}
    needed |= {f"prompt.title.{trigger}" for trigger, _ in PROMPT_TRIGGERS}
    needed |= {"prompt.title.new_customer", "prompt.name.new_customer"}
    assert needed <= ZH_CN.keys()


def _page_keys() -> set[str]:
    html = (STATIC_DIR / "store.html").read_text()
    script = (STATIC_DIR / "store.js").read_text()
    keys = set(re.findall(r'data-i18n="([^"]+)"', html))
    keys |= set(re.findall(r'\bt\("([a-z_.]*[a-z_])"', script))
    # keys the script builds from a state: "page.connection." + state, "page.acted." + state
    keys |= {f"page.connection.{s}" for s in ("live", "connecting", "reconnecting")}
    keys |= {f"page.acted.{s}" for s in ("done", "dismissed")}
    return keys


def test_every_page_label_is_in_the_catalogue_and_none_is_hard_coded() -> None:
    keys = _page_keys()
    assert {"page.button.done", "page.button.dismiss", "page.title", "page.due"} <= keys
    assert keys <= ZH_CN.keys(), keys - ZH_CN.keys()
    for name in ("store.html", "store.js"):
        assert not CJK.search((STATIC_DIR / name).read_text()), f"{name} has its own Chinese"


def test_text_fills_fields_and_local_time_is_24_hour_in_the_zone() -> None:
    zh, en = StoreLocale(), StoreLocale("en")
    assert zh.text("page.known_at", store="静安店") == "其他门店顾客：静安店"
    assert en.text("page.due", time="2026-12-02 15:18") == "(due 2026-12-02 15:18)"
    at = datetime(2026, 12, 2, 7, 18, tzinfo=UTC)
    assert zh.local_time(at) == en.local_time(at) == "2026-12-02 15:18"
    assert StoreLocale("en", "UTC").local_time(at) == "2026-12-02 07:18"


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "asia/shanghai "])
def test_unknown_zones_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown time zone"):
        zone_named(name)
